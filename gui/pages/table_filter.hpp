// Every table of the studio sorts (click a header) and filters (a text box: rows with that text in
// any column), through one proxy set up here. Models give numbers for sorting in kSortRole where
// their displayed text would sort wrongly ("10.5" before "9.1"); other columns sort by their text.
#pragma once

#include <QSortFilterProxyModel>

class QLabel;
class QLineEdit;
class QTableView;

namespace cello::studio {

inline constexpr int kSortRole = Qt::UserRole + 100;

class TableSortFilter final : public QSortFilterProxyModel {
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

protected:
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;
};

// Puts a TableSortFilter between `table` and `model` (unsorted until a header is clicked) and, with
// `filter`, filters on its text. Returns the proxy (owned by the table).
TableSortFilter* sort_and_filter(QTableView* table, QAbstractItemModel* model, QLineEdit* filter = nullptr);

// A filter box for a table: placeholder, clear button, name "<table's name>Filter".
QLineEdit* make_filter_box(QTableView* table);

// A page that is a summary line over a filtered, sortable, read-only table of `model`: lays out
// `summary`, the table's filter box and `table` in `page` (the table gets its name first).
void lay_out_summary_table(QWidget* page, QLabel* summary, QTableView* table, QAbstractItemModel* model);

}  // namespace cello::studio
