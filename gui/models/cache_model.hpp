// Cache page tables: the response cache's counters per route or per tag.
#pragma once

#include "inspector/live_view.hpp"

#include <QAbstractTableModel>

namespace cello::studio {

class CacheModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum class Kind { Routes, Tags };
    enum Column { Label, Hits, Misses, Ratio, Stores, Evictions, Invalidations, ColumnCount };

    explicit CacheModel(Kind kind, QObject* parent = nullptr) : QAbstractTableModel(parent), kind_(kind) {}
    void refresh(const inspector::LiveView& view);
    void clear();
    QStringList labels() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

private:
    Kind kind_;
    std::vector<inspector::CacheRow> rows_;
};

}  // namespace cello::studio
