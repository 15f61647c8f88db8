#pragma once

#include "domain/types.h"
#include "snapshottablemodel.h"

#include <QHash>

namespace oxm {

/// One registered tenant and its streaming policy.
struct TenantPolicy
{
    QString tenant;
    StreamPolicy policy;
};

/// The Policies screen's tenants table. Filled from PolicyService::allPolicies() (run off the GUI
/// thread) and kept current from PolicyService's policyChanged / tenantRegistered signals.
class PoliciesModel final : public SnapshotTableModel<TenantPolicy>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PoliciesModel)

public:
    enum Column { TenantColumn, MaxPerUserColumn, MaxPerAssetColumn, MaxDevicesColumn, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1 };

    explicit PoliciesModel(QObject *parent = nullptr);

    /// Replaces the list with `policies` (in place, no reset).
    void setAll(const QHash<QString, StreamPolicy> &policies);
    /// Adds or updates one tenant.
    void setPolicy(const QString &tenant, const oxm::StreamPolicy &policy);
    /// Adds a tenant with no limits unless it is listed already.
    void addTenant(const QString &tenant);
    /// The tenant's policy in the table, or std::nullopt.
    std::optional<StreamPolicy> policyOf(const QString &tenant) const;

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    QString rowKey(const TenantPolicy &row) const override { return row.tenant; }
    bool sameRow(const TenantPolicy &a, const TenantPolicy &b) const override { return a.policy == b.policy; }
};

} // namespace oxm
