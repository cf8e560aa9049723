// Benchmark page comparison: two runs side by side, a row per metric with both values and the
// ratio B / A (computed by inspector::bench::compare; this only draws it).
#pragma once

#include "inspector/bench/bench_run.hpp"

#include <QAbstractTableModel>

namespace cello::studio {

class BenchCompareModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Metric, A, B, Ratio, ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;
    // `a` is the baseline: ratios are b / a.
    void compare(const inspector::bench::BenchRun& a, const inspector::bench::BenchRun& b);
    void clear();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;
    const inspector::bench::ComparisonRow* row(int r) const;

private:
    std::vector<inspector::bench::ComparisonRow> rows_;
    QString a_title_, b_title_;
};

}  // namespace cello::studio
