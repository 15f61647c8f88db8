#include "policiesmodel.h"

#include "formatting.h"

#include <algorithm>

namespace oxm {

PoliciesModel::PoliciesModel(QObject *parent)
    : SnapshotTableModel(parent)
{
}

void PoliciesModel::setAll(const QHash<QString, StreamPolicy> &policies)
{
    QList<TenantPolicy> rows;
    rows.reserve(policies.size());
    for (auto it = policies.cbegin(); it != policies.cend(); ++it)
        rows.append(TenantPolicy{it.key(), it.value()});
    std::sort(rows.begin(), rows.end(), [](const TenantPolicy &a, const TenantPolicy &b) { return a.tenant < b.tenant; });
    applySnapshot(rows);
}

void PoliciesModel::setPolicy(const QString &tenant, const StreamPolicy &policy)
{
    upsert(TenantPolicy{tenant, policy});
}

void PoliciesModel::addTenant(const QString &tenant)
{
    if (rowOf(tenant) < 0)
        upsert(TenantPolicy{tenant, StreamPolicy{}});
}

std::optional<StreamPolicy> PoliciesModel::policyOf(const QString &tenant) const
{
    const int row = rowOf(tenant);
    if (row < 0)
        return std::nullopt;
    return m_rows.at(row).policy;
}

int PoliciesModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PoliciesModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TenantPolicy &row = m_rows.at(index.row());
    const auto value = [&]() -> int {
        switch (index.column()) {
        case MaxPerUserColumn: return row.policy.maxPerUser;
        case MaxPerAssetColumn: return row.policy.maxPerAsset;
        case MaxDevicesColumn: return row.policy.maxDevices;
        }
        return 0;
    };
    switch (role) {
    case Qt::DisplayRole:
        return index.column() == TenantColumn ? row.tenant : format::limit(value());
    case SortRole:
        if (index.column() == TenantColumn)
            return row.tenant;
        // "no limit" sorts after every number.
        return value() == 0 ? qint64(1) << 40 : qint64(value());
    case Qt::ToolTipRole:
        return index.column() == TenantColumn ? row.tenant : tr("0 means the limit is not enforced");
    case Qt::TextAlignmentRole:
        if (index.column() != TenantColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    }
    return {};
}

QVariant PoliciesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TenantColumn: return tr("Tenant");
    case MaxPerUserColumn: return tr("maxPerUser");
    case MaxPerAssetColumn: return tr("maxPerAsset");
    case MaxDevicesColumn: return tr("maxDevices");
    }
    return {};
}

} // namespace oxm
