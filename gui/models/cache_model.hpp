// Cache page tables: the response cache's counters per route or per tag.
#pragma once

#include "inspector/live_view.hpp"

#include "models/rows_model.hpp"

namespace cello::studio {

class CacheModel final : public RowsModel<inspector::CacheRow> {
    Q_OBJECT
public:
    enum class Kind { Routes, Tags };
    enum Column { Label, Hits, Misses, Ratio, Stores, Evictions, Invalidations, ColumnCount };

    explicit CacheModel(Kind kind, QObject* parent = nullptr) : RowsModel(ColumnCount, parent), kind_(kind) {}
    void refresh(const inspector::LiveView& view);
    QStringList labels() const;

    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

private:
    Kind kind_;
};

}  // namespace cello::studio
