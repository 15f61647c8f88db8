#pragma once

#include "http/requesthandler.h"

#include <QAbstractTableModel>
#include <QMutex>
#include <atomic>

class QTimer;

namespace oxm {

/// The Server screen's request log: time, method, path, status, latency.
///
/// Entries arrive on the HTTP threads (enqueue(), thread-safe, a mutex-protected append) and
/// reach the table in batches every flush interval (200 ms), one beginInsertRows per batch; the
/// oldest rows are dropped beyond maxRows() (one beginRemoveRows). A batch holds at most
/// ChunkRows entries; when more are waiting the next batch follows after a short pause, so the
/// event loop (input, painting) runs between batches. So a burst of thousands of requests costs
/// the GUI thread a few short batch inserts, not thousands of queued events nor one long
/// freeze. Display strings are formatted once per entry, on the GUI thread at insert time.
class RequestLogModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestLogModel)

public:
    enum Column { TimeColumn, MethodColumn, PathColumn, StatusColumn, LatencyColumn, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1 };
    static constexpr int DefaultMaxRows = 5000;
    static constexpr int DefaultFlushIntervalMs = 200;
    /// Most entries added by one timed batch.
    static constexpr int ChunkRows = 1000;

    explicit RequestLogModel(QObject *parent = nullptr);

    /// Queues an entry for the next flush. Thread-safe. Ignored while paused; when more than
    /// maxRows() wait, the oldest waiting entries are dropped.
    void enqueue(const RequestLogEntry &entry);
    /// Moves up to `maxEntries` queued entries (the oldest first) into the table now. Returns
    /// how many were added.
    int flush(int maxEntries = ChunkRows);
    /// Adds entries now (GUI thread).
    void append(const QList<RequestLogEntry> &entries);
    /// Removes every row.
    void clear();

    /// Paused: new entries are discarded (counted in discarded()) until resumed.
    void setPaused(bool paused);
    bool isPaused() const { return m_paused.load(); }
    void setMaxRows(int maxRows);
    int maxRows() const { return m_maxRows; }
    void setFlushInterval(int ms);
    /// Entries not shown: arrived while paused, or dropped beyond maxRows() while waiting.
    qint64 discarded() const { return m_discarded.load(); }
    /// Entries waiting for the next flush.
    int queued() const;
    /// Time of the entry in `row` (ns since the epoch).
    qint64 timeNs(int row) const { return m_rows.at(row).entry.timeNs; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    /// A batch was added (after the rows were inserted).
    void flushed(int added);

private:
    void onTimer();

    struct Row
    {
        RequestLogEntry entry;
        QString time;
        QString method;
        QString latency;
    };

    mutable QMutex m_queueMutex;
    QList<RequestLogEntry> m_queue;
    QList<Row> m_rows;
    QTimer *m_timer;
    int m_intervalMs = DefaultFlushIntervalMs;
    std::atomic<int> m_maxRows{DefaultMaxRows};
    std::atomic<bool> m_paused{false};
    std::atomic<qint64> m_discarded{0};
};

} // namespace oxm
