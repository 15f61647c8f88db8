#include "requestlogmodel.h"

#include "formatting.h"

#include <QLocale>
#include <QTimer>

namespace oxm {

RequestLogModel::RequestLogModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_timer(new QTimer(this))
{
    m_timer->setInterval(DefaultFlushIntervalMs);
    connect(m_timer, &QTimer::timeout, this, &RequestLogModel::onTimer);
    m_timer->start();
}

void RequestLogModel::enqueue(const RequestLogEntry &entry)
{
    if (m_paused.load(std::memory_order_relaxed)) {
        m_discarded.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const int maxRows = m_maxRows.load(std::memory_order_relaxed);
    QMutexLocker locker(&m_queueMutex);
    m_queue.append(entry);
    if (m_queue.size() > maxRows) {
        const qsizetype excess = m_queue.size() - maxRows;
        m_queue.remove(0, excess);
        m_discarded.fetch_add(excess, std::memory_order_relaxed);
    }
}

int RequestLogModel::queued() const
{
    QMutexLocker locker(&m_queueMutex);
    return int(m_queue.size());
}

void RequestLogModel::onTimer()
{
    flush(ChunkRows);
    // More waiting (a burst): the next batch soon, after the event loop had its turn.
    const int next = queued() > 0 ? 10 : m_intervalMs;
    if (m_timer->interval() != next)
        m_timer->setInterval(next);
}

int RequestLogModel::flush(int maxEntries)
{
    QList<RequestLogEntry> batch;
    {
        QMutexLocker locker(&m_queueMutex);
        if (m_queue.size() <= maxEntries) {
            batch.swap(m_queue);
        } else {
            batch = m_queue.first(maxEntries);
            m_queue.remove(0, maxEntries);
        }
    }
    if (batch.isEmpty())
        return 0;
    append(batch);
    return int(batch.size());
}

void RequestLogModel::append(const QList<RequestLogEntry> &entries)
{
    if (entries.isEmpty())
        return;
    // Only the newest maxRows entries can stay.
    const int maxRows = m_maxRows.load();
    const qsizetype first = std::max<qsizetype>(0, entries.size() - maxRows);
    const qsizetype adding = entries.size() - first;
    const qsizetype overflow = m_rows.size() + adding - maxRows;
    if (overflow > 0) {
        beginRemoveRows({}, 0, int(overflow - 1));
        m_rows.remove(0, overflow);
        endRemoveRows();
    }
    // format::localTimeMs: one time-zone lookup per hour, not per row (issue 6).
    const QString timeFormat = QStringLiteral("hh:mm:ss.zzz");
    QList<Row> rows;
    rows.reserve(adding);
    const QLocale locale;
    for (qsizetype i = first; i < entries.size(); ++i) {
        const RequestLogEntry &e = entries.at(i);
        rows.append(Row{e, format::localTimeMs(e.timeNs / 1000000, timeFormat), QString::fromLatin1(e.method),
                        locale.toString(e.latencyMs, 'f', 2)});
    }
    beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + rows.size() - 1));
    m_rows.append(std::move(rows));
    endInsertRows();
    Q_EMIT flushed(int(adding));
}

void RequestLogModel::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

void RequestLogModel::setPaused(bool paused)
{
    m_paused.store(paused);
}

void RequestLogModel::setMaxRows(int maxRows)
{
    maxRows = std::max(1, maxRows);
    m_maxRows.store(maxRows);
    if (m_rows.size() > maxRows) {
        beginRemoveRows({}, 0, int(m_rows.size() - maxRows - 1));
        m_rows.remove(0, m_rows.size() - maxRows);
        endRemoveRows();
    }
}

void RequestLogModel::setFlushInterval(int ms)
{
    m_intervalMs = ms;
    m_timer->setInterval(ms);
}

int RequestLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RequestLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RequestLogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case TimeColumn: return row.time;
        case MethodColumn: return row.method;
        case PathColumn: return row.entry.path;
        case StatusColumn: return row.entry.status;
        case LatencyColumn: return row.latency;
        }
        break;
    case SortRole:
        switch (index.column()) {
        case TimeColumn: return row.entry.timeNs;
        case LatencyColumn: return row.entry.latencyMs;
        default: return data(index, Qt::DisplayRole);
        }
    case Qt::TextAlignmentRole:
        if (index.column() == StatusColumn || index.column() == LatencyColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    }
    return {};
}

QVariant RequestLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TimeColumn: return tr("Time");
    case MethodColumn: return tr("Method");
    case PathColumn: return tr("Path");
    case StatusColumn: return tr("Status");
    case LatencyColumn: return tr("Latency (ms)");
    }
    return {};
}

} // namespace oxm
