// Benchmark page comparison: two runs side by side, a row per metric with both values and the
// ratio B / A (computed by inspector::bench::compare; this only draws it).
#pragma once

#include "inspector/bench/bench_run.hpp"

#include "models/rows_model.hpp"

namespace cello::studio {

class BenchCompareModel final : public RowsModel<inspector::bench::ComparisonRow> {
    Q_OBJECT
public:
    enum Column { Metric, A, B, Ratio, ColumnCount };

    explicit BenchCompareModel(QObject* parent = nullptr) : RowsModel(ColumnCount, parent) {}
    // `a` is the baseline: ratios are b / a.
    void compare(const inspector::bench::BenchRun& a, const inspector::bench::BenchRun& b);
    void clear();

    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

private:
    QString a_title_, b_title_;
};

}  // namespace cello::studio
