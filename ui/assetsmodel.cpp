#include "assetsmodel.h"

#include <QFont>

namespace oxm {

AssetsModel::AssetsModel(QObject *parent)
    : SnapshotTableModel(parent)
{
}

int AssetsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AssetsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const AssetInfo &a = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        switch (index.column()) {
        case IdColumn: return a.id;
        case NameColumn: return a.inCatalog ? a.name : tr("(not in catalog)");
        case YearColumn: return a.releaseYear > 0 ? QString::number(a.releaseYear) : QString();
        case GenresColumn: return a.genres.join(QStringLiteral(", "));
        case TypeColumn: return a.resourceType;
        }
        break;
    case SortRole:
        if (index.column() == YearColumn)
            return a.releaseYear;
        return data(index, Qt::DisplayRole);
    case Qt::FontRole:
        if (!a.inCatalog && index.column() == NameColumn) {
            QFont italic;
            italic.setItalic(true);
            return italic;
        }
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == YearColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case IdRole:
        return a.id;
    }
    return {};
}

QVariant AssetsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case IdColumn: return tr("ID");
    case NameColumn: return tr("Name");
    case YearColumn: return tr("Year");
    case GenresColumn: return tr("Genres");
    case TypeColumn: return tr("Type");
    }
    return {};
}

} // namespace oxm
