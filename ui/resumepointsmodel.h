#pragma once

#include "domain/types.h"
#include "snapshottablemodel.h"

namespace oxm {

/// A subscriber's resume points: asset, progress (h:mm:ss) and last update (viewer's local time).
class ResumePointsModel final : public SnapshotTableModel<ResumePoint>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResumePointsModel)

public:
    enum Column { AssetColumn, ProgressColumn, UpdatedColumn, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, AssetIdRole };

    explicit ResumePointsModel(QObject *parent = nullptr);

    void setResumePoints(const QList<ResumePoint> &points) { applySnapshot(points); }

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    QString rowKey(const ResumePoint &row) const override { return row.assetId; }
    bool sameRow(const ResumePoint &a, const ResumePoint &b) const override
    {
        return a.progress == b.progress && a.updatedNs == b.updatedNs;
    }
};

} // namespace oxm
