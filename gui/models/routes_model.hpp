// Routes page table: one row per route (and <unmatched>), from the latest snapshot.
#pragma once

#include "inspector/live_view.hpp"

#include "models/rows_model.hpp"

namespace cello::studio {

class RoutesModel final : public RowsModel<inspector::RouteRow> {
    Q_OBJECT
public:
    enum Column {
        Method, Pattern, Handler, Count, P50, P99, Errors4xx, Errors5xx, ErrorRate, HitRatio, Queries, DbTime, Source,
        ColumnCount
    };
    static constexpr int kRouteIdRole = Qt::UserRole + 1;

    explicit RoutesModel(QObject* parent = nullptr) : RowsModel(ColumnCount, parent) {}
    void refresh(const inspector::LiveView& view);

    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;
};

}  // namespace cello::studio
