#include "resumepointsmodel.h"

#include "formatting.h"

namespace oxm {

ResumePointsModel::ResumePointsModel(QObject *parent)
    : SnapshotTableModel(parent)
{
}

int ResumePointsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ResumePointsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ResumePoint &p = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case AssetColumn: return p.assetId;
        case ProgressColumn: return format::duration(p.progress);
        case UpdatedColumn: return format::localTime(p.updatedNs, true);
        }
        break;
    case SortRole:
        switch (index.column()) {
        case AssetColumn: return p.assetId;
        case ProgressColumn: return p.progress;
        case UpdatedColumn: return p.updatedNs;
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == ProgressColumn)
            return tr("%n second(s)", nullptr, int(std::min<qint64>(p.progress, INT_MAX)));
        if (index.column() == UpdatedColumn)
            return tr("Server receive time, shown in your local time zone");
        return p.assetId;
    case Qt::TextAlignmentRole:
        if (index.column() == ProgressColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case AssetIdRole:
        return p.assetId;
    }
    return {};
}

QVariant ResumePointsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case AssetColumn: return tr("Asset");
    case ProgressColumn: return tr("Progress");
    case UpdatedColumn: return tr("Last update");
    }
    return {};
}

} // namespace oxm
