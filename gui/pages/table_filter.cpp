#include "table_filter.hpp"

#include "table_view_style.hpp"

#include <QLabel>
#include <QVBoxLayout>

#include <QHeaderView>
#include <QLineEdit>
#include <QTableView>

namespace cello::studio {

bool TableSortFilter::lessThan(const QModelIndex& left, const QModelIndex& right) const {
    QVariant a = left.data(kSortRole), b = right.data(kSortRole);
    if (!a.isValid() || !b.isValid()) {
        a = left.data(Qt::DisplayRole);
        b = right.data(Qt::DisplayRole);
    }
    return QVariant::compare(a, b) == QPartialOrdering::Less;
}

TableSortFilter* sort_and_filter(QTableView* table, QAbstractItemModel* model, QLineEdit* filter) {
    auto* proxy = new TableSortFilter(table);
    proxy->setSourceModel(model);
    proxy->setFilterKeyColumn(-1);  // any column
    proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    table->setModel(proxy);
    table->setSortingEnabled(true);
    table->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);  // the model's order until asked
    proxy->sort(-1);
    if (filter) QObject::connect(filter, &QLineEdit::textChanged, proxy, &QSortFilterProxyModel::setFilterFixedString);
    return proxy;
}

QLineEdit* make_filter_box(QTableView* table) {
    auto* box = new QLineEdit;
    box->setObjectName(table->objectName() + "Filter");
    box->setPlaceholderText(QObject::tr("Filter"));
    box->setClearButtonEnabled(true);
    return box;
}

void lay_out_summary_table(QWidget* page, QLabel* summary, QTableView* table, QAbstractItemModel* model) {
    auto* filter = make_filter_box(table);
    sort_and_filter(table, model, filter);
    style_read_only_table(table);
    auto* layout = new QVBoxLayout(page);
    layout->addWidget(summary);
    layout->addWidget(filter);
    layout->addWidget(table, 1);
}

}  // namespace cello::studio
