#pragma once

#include "domain/types.h"
#include "snapshottablemodel.h"

namespace oxm {

/// Active streams, one row per stream (tenant, user, asset, device), from
/// StreamRegistry::snapshot() or activeStreams(). Refreshed in place (see SnapshotTableModel).
class LiveStreamsModel final : public SnapshotTableModel<ActiveStream>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LiveStreamsModel)

public:
    enum Column { TenantColumn, UserColumn, DeviceColumn, AssetColumn, StartedColumn,
                  LastHeartbeatColumn, ProgressColumn, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole + 1, ///< raw values (ns, seconds) for sorting
        KeyRole,                     ///< the oxm::StreamKey of the row
        ScopeRole,                   ///< "tenant\nasset", for the drill-down from the asset table
    };

    explicit LiveStreamsModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString scope(const QString &tenant, const QString &asset) { return tenant + QLatin1Char('\n') + asset; }

protected:
    QString rowKey(const ActiveStream &row) const override;
    bool sameRow(const ActiveStream &a, const ActiveStream &b) const override;
    /// A heartbeat changes only Last heartbeat and Progress: a view sorted by another column is
    /// not re-sorted every second.
    std::pair<int, int> changedColumns(const ActiveStream &a, const ActiveStream &b) const override;
};

} // namespace oxm
