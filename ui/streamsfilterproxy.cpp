#include "streamsfilterproxy.h"

#include "livestreamsmodel.h"

namespace oxm {

StreamsFilterProxy::StreamsFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(LiveStreamsModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
}

void StreamsFilterProxy::setScope(const QString &scope)
{
    if (scope == m_scope)
        return;
    m_scope = scope;
    invalidateRowsFilter();
}

void StreamsFilterProxy::setText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    invalidateRowsFilter();
}

bool StreamsFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QAbstractItemModel *model = sourceModel();
    if (!m_scope.isEmpty()
        && model->index(sourceRow, 0, sourceParent).data(LiveStreamsModel::ScopeRole).toString() != m_scope)
        return false;
    if (m_text.isEmpty())
        return true;
    for (int column = 0; column < model->columnCount(sourceParent); ++column)
        if (model->index(sourceRow, column, sourceParent).data().toString().contains(m_text, Qt::CaseInsensitive))
            return true;
    return false;
}

bool StreamsFilterProxy::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const auto *streams = qobject_cast<const LiveStreamsModel *>(sourceModel());
    if (streams && sortRole() == LiveStreamsModel::SortRole && left.column() == right.column()) {
        const ActiveStream &a = streams->rowAt(left.row());
        const ActiveStream &b = streams->rowAt(right.row());
        switch (left.column()) {
        case LiveStreamsModel::StartedColumn: return a.startedNs < b.startedNs;
        case LiveStreamsModel::LastHeartbeatColumn: return a.lastHeartbeatNs < b.lastHeartbeatNs;
        case LiveStreamsModel::ProgressColumn: return a.progress < b.progress;
        default: break;
        }
    }
    return QSortFilterProxyModel::lessThan(left, right);
}

} // namespace oxm
