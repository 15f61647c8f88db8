#include "tableview.h"

#include <QHeaderView>
#include <QTableView>
#include <algorithm>

namespace oxm {

QTableView *makeTableView(QAbstractItemModel *model, const QList<int> &columnChars, QWidget *parent)
{
    auto *view = new QTableView(parent);
    view->setModel(model);
    view->setSortingEnabled(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->setTextElideMode(Qt::ElideMiddle);
    view->verticalHeader()->hide();
    // Uniform rows: the header needs no per-row bookkeeping, which keeps large batch inserts cheap.
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setHighlightSections(false);
    view->horizontalHeader()->setSectionsMovable(true);
    const int charWidth = view->fontMetrics().averageCharWidth();
    for (int column = 0; column < columnChars.size(); ++column)
        view->setColumnWidth(column, std::max(columnChars.at(column) * charWidth + 16,
                                              view->horizontalHeader()->sectionSizeHint(column) + 8));
    return view;
}

} // namespace oxm
