#include "assetcountsmodel.h"

#include "livestreamsmodel.h"

namespace oxm {

AssetCountsModel::AssetCountsModel(QObject *parent)
    : SnapshotTableModel(parent)
{
}

int AssetCountsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString AssetCountsModel::rowKey(const AssetCount &row) const
{
    return LiveStreamsModel::scope(row.tenant, row.assetId);
}

QVariant AssetCountsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const AssetCount &c = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        switch (index.column()) {
        case TenantColumn: return c.tenant;
        case AssetColumn: return c.assetId;
        case ActiveColumn: return c.active;
        }
        break;
    case SortRole:
        return index.column() == ActiveColumn ? QVariant(c.active) : data(index, Qt::DisplayRole);
    case Qt::TextAlignmentRole:
        if (index.column() == ActiveColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case ScopeRole:
        return rowKey(c);
    }
    return {};
}

QVariant AssetCountsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TenantColumn: return tr("Tenant");
    case AssetColumn: return tr("Asset");
    case ActiveColumn: return tr("Active");
    }
    return {};
}

} // namespace oxm
