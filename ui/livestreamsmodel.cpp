#include "livestreamsmodel.h"

#include "formatting.h"

#include <algorithm>

namespace oxm {

LiveStreamsModel::LiveStreamsModel(QObject *parent)
    : SnapshotTableModel(parent)
{
}

int LiveStreamsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString LiveStreamsModel::rowKey(const ActiveStream &row) const
{
    const QChar sep(u'\0');
    return row.key.tenant + sep + row.key.userId + sep + row.key.assetId + sep + row.key.device;
}

namespace {
/// The columns whose text or tooltip differ between `a` and `b` (same key): {first, last}, with
/// last < 0 when none do. One list for sameRow() and changedColumns(), so they cannot disagree.
std::pair<int, int> differingColumns(const ActiveStream &a, const ActiveStream &b)
{
    int first = LiveStreamsModel::ColumnCount, last = -1;
    const auto mark = [&](bool changed, int column) {
        if (changed) {
            first = std::min(first, column);
            last = std::max(last, column);
        }
    };
    mark(a.startedNs != b.startedNs, LiveStreamsModel::StartedColumn);
    // Last heartbeat's tooltip shows the expiry; Device's whether the client named the device.
    mark(a.lastHeartbeatNs != b.lastHeartbeatNs || a.expiresNs != b.expiresNs, LiveStreamsModel::LastHeartbeatColumn);
    mark(a.progress != b.progress, LiveStreamsModel::ProgressColumn);
    mark(a.explicitDevice != b.explicitDevice, LiveStreamsModel::DeviceColumn);
    return {first, last};
}
} // namespace

bool LiveStreamsModel::sameRow(const ActiveStream &a, const ActiveStream &b) const
{
    return differingColumns(a, b).second < 0;
}

std::pair<int, int> LiveStreamsModel::changedColumns(const ActiveStream &a, const ActiveStream &b) const
{
    const auto columns = differingColumns(a, b);
    if (columns.second < 0)
        return {0, ColumnCount - 1};
    return columns;
}

QVariant LiveStreamsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ActiveStream &s = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case TenantColumn: return s.key.tenant;
        case UserColumn: return s.key.userId;
        case DeviceColumn: return s.key.device;
        case AssetColumn: return s.key.assetId;
        case StartedColumn: return format::localTime(s.startedNs);
        case LastHeartbeatColumn: return format::localTime(s.lastHeartbeatNs);
        case ProgressColumn: return format::duration(s.progress);
        }
        break;
    case SortRole:
        switch (index.column()) {
        case StartedColumn: return s.startedNs;
        case LastHeartbeatColumn: return s.lastHeartbeatNs;
        case ProgressColumn: return s.progress;
        default: return data(index, Qt::DisplayRole);
        }
    case Qt::ToolTipRole:
        switch (index.column()) {
        case StartedColumn: return format::localTime(s.startedNs, true);
        case LastHeartbeatColumn:
            return tr("%1; expires at %2 without another heartbeat")
                .arg(format::localTime(s.lastHeartbeatNs, true), format::localTime(s.expiresNs));
        case DeviceColumn:
            return s.explicitDevice ? tr("device named by the client") : tr("client IP address (no device given)");
        default: return data(index, Qt::DisplayRole);
        }
    case Qt::TextAlignmentRole:
        if (index.column() == ProgressColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case KeyRole: return QVariant::fromValue(s.key);
    case ScopeRole: return scope(s.key.tenant, s.key.assetId);
    }
    return {};
}

QVariant LiveStreamsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TenantColumn: return tr("Tenant");
    case UserColumn: return tr("User");
    case DeviceColumn: return tr("Device");
    case AssetColumn: return tr("Asset");
    case StartedColumn: return tr("Started");
    case LastHeartbeatColumn: return tr("Last heartbeat");
    case ProgressColumn: return tr("Progress");
    }
    return {};
}

} // namespace oxm
