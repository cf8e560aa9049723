// Routes: the table of routes with live numbers, sortable and filterable; double-click opens the
// handler's source; right-click offers the same and copying the route's URL or curl command, and
// benchmarking it.
#pragma once

#include "models/routes_model.hpp"

#include <QWidget>

class QMenu;
class QLabel;
class QTableView;

namespace cello::studio {

class StudioState;
class TableSortFilter;

class RoutesPage final : public QWidget {
    Q_OBJECT
public:
    explicit RoutesPage(StudioState& state, QWidget* parent = nullptr);
    RoutesModel& model() { return model_; }
    QTableView* table() const { return table_; }
    // "API docs" links (Swagger UI, ReDoc) while the app serves enable_openapi()'s pages; hidden otherwise.
    QLabel* docsLink() const { return docs_link_; }
    // The row's context menu (what a right-click opens), for the route in source-model row `row`.
    QMenu* contextMenu(int row);
    // Where the route answers: http://host:port/path with its parameters filled ("" when unknown).
    QString urlOf(const inspector::RouteRow& r) const;

Q_SIGNALS:
    // After a double-click: what was opened, or why nothing was (for the status bar).
    void sourceOpened(bool ok, const QString& message);
    void benchmarkRequested(const QString& route_label);  // "Benchmark this route"
    void copied(const QString& what);                      // "Copied …" for the status bar

private:
    void openHandler(const inspector::RouteRow& r);
    void refreshDocsLink();

    StudioState& state_;
    RoutesModel model_;
    QTableView* table_;
    TableSortFilter* sorted_;
    QLabel* docs_link_;
};

}  // namespace cello::studio
