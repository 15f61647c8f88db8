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

} // namespace oxm
