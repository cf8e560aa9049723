// Routes page table: one row per route (and <unmatched>), from the latest snapshot.
#pragma once

#include "inspector/live_view.hpp"

#include <QAbstractTableModel>

namespace cello::studio {

class RoutesModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Method, Pattern, Handler, Count, P50, P99, Errors, HitRatio, Source, ColumnCount };
    static constexpr int kRouteIdRole = Qt::UserRole + 1;

    using QAbstractTableModel::QAbstractTableModel;
    void refresh(const inspector::LiveView& view);
    void clear();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;
    const inspector::RouteRow* row(int r) const;

private:
    std::vector<inspector::RouteRow> rows_;
};

}  // namespace cello::studio
