#pragma once

#include <QList>

class QAbstractItemModel;
class QTableView;
class QWidget;

namespace oxm {

/// A QTableView set up the same way on every screen: sortable, whole-row single selection,
/// alternating rows, no row numbers, and initial column widths given in characters of the
/// current font (so they scale with the font and the screen's DPI), never narrower than the
/// header's text. The last column stretches.
QTableView *makeTableView(QAbstractItemModel *model, const QList<int> &columnChars, QWidget *parent);

} // namespace oxm
