#pragma once

#include "assetinfo.h"
#include "snapshottablemodel.h"

namespace oxm {

/// Catalog assets (the Catalog screen) or a watchlist joined with the catalog (the Subscribers
/// screen): id, name, year, genres, type. Ids without catalog metadata show "not in catalog".
class AssetsModel final : public SnapshotTableModel<AssetInfo>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AssetsModel)

public:
    enum Column { IdColumn, NameColumn, YearColumn, GenresColumn, TypeColumn, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, IdRole };

    explicit AssetsModel(QObject *parent = nullptr);

    void setAssets(const QList<AssetInfo> &assets) { applySnapshot(assets); }

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    QString rowKey(const AssetInfo &row) const override { return row.id; }
    bool sameRow(const AssetInfo &a, const AssetInfo &b) const override { return a == b; }
};

} // namespace oxm
