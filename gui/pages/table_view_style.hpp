// How the studio's read-only tables look and select: whole rows, no editing, the last column
// stretched, no row numbers, alternating rows, one line per row. One place, so every page's tables behave alike.
#pragma once

#include <QHeaderView>
#include <QTableView>

namespace cello::studio {

inline void style_read_only_table(QTableView* table) {
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->horizontalHeader()->setStretchLastSection(true);
    table->verticalHeader()->hide();
    table->setAlternatingRowColors(true);
    table->setWordWrap(false);  // one line per row: long cells are elided, their tooltip has it all
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 8);
}

}  // namespace cello::studio
