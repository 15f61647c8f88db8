#pragma once

#include "snapshottablemodel.h"

namespace oxm {

/// Active streams per (tenant, asset): the Live screen's "by asset" table.
struct AssetCount
{
    QString tenant;
    QString assetId;
    int active = 0;
};

/// Rows of AssetCount, refreshed in place from each snapshot (see SnapshotTableModel).
class AssetCountsModel final : public SnapshotTableModel<AssetCount>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AssetCountsModel)

public:
    enum Column { TenantColumn, AssetColumn, ActiveColumn, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole + 1, ///< the count as a number
        ScopeRole,                   ///< LiveStreamsModel::scope(tenant, asset)
    };

    explicit AssetCountsModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    QString rowKey(const AssetCount &row) const override;
    bool sameRow(const AssetCount &a, const AssetCount &b) const override { return a.active == b.active; }
};

} // namespace oxm
