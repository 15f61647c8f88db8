#include "tenantcountsmodel.h"

namespace oxm {

TenantCountsModel::TenantCountsModel(QObject *parent)
    : SnapshotTableModel(parent)
{
}

void TenantCountsModel::update(const QHash<QString, int> &activeByTenant)
{
    QList<TenantCount> fresh;
    fresh.reserve(m_rows.size() + activeByTenant.size());
    for (const TenantCount &row : std::as_const(m_rows)) {
        const int active = activeByTenant.value(row.tenant);
        fresh.append(TenantCount{row.tenant, active, std::max(row.peak, active)});
    }
    QStringList added;
    for (auto it = activeByTenant.cbegin(); it != activeByTenant.cend(); ++it)
        if (rowOf(it.key()) < 0)
            added.append(it.key());
    added.sort();
    for (const QString &tenant : std::as_const(added))
        fresh.append(TenantCount{tenant, activeByTenant.value(tenant), activeByTenant.value(tenant)});
    applySnapshot(fresh);
}

int TenantCountsModel::activeOf(const QString &tenant) const
{
    const int row = rowOf(tenant);
    return row < 0 ? 0 : m_rows.at(row).active;
}

int TenantCountsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TenantCountsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TenantCount &c = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case SortRole:
        switch (index.column()) {
        case TenantColumn: return c.tenant;
        case ActiveColumn: return c.active;
        case PeakColumn: return c.peak;
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == PeakColumn)
            return tr("Most active streams seen at once since oxm-admin started");
        return data(index, Qt::DisplayRole);
    case Qt::TextAlignmentRole:
        if (index.column() != TenantColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    }
    return {};
}

QVariant TenantCountsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TenantColumn: return tr("Tenant");
    case ActiveColumn: return tr("Active");
    case PeakColumn: return tr("Peak");
    }
    return {};
}

} // namespace oxm
