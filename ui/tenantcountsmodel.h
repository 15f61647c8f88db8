#pragma once

#include "snapshottablemodel.h"

namespace oxm {

/// Active streams of one tenant now, and the most seen at once since the app started.
struct TenantCount
{
    QString tenant;
    int active = 0;
    int peak = 0;
};

/// The Live screen's per-tenant totals. A tenant stays listed (with 0) once seen.
class TenantCountsModel final : public SnapshotTableModel<TenantCount>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TenantCountsModel)

public:
    enum Column { TenantColumn, ActiveColumn, PeakColumn, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1 };

    explicit TenantCountsModel(QObject *parent = nullptr);

    /// Updates the counts: tenants missing from `activeByTenant` drop to 0; peaks only grow.
    void update(const QHash<QString, int> &activeByTenant);
    /// Active streams of a tenant (0 when unknown).
    int activeOf(const QString &tenant) const;

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    QString rowKey(const TenantCount &row) const override { return row.tenant; }
    bool sameRow(const TenantCount &a, const TenantCount &b) const override
    {
        return a.active == b.active && a.peak == b.peak;
    }
};

} // namespace oxm
