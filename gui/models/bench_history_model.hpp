// Benchmark page history table: one row per stored run (newest first), from BenchHistory::list().
#pragma once

#include "inspector/bench/bench_run.hpp"

#include "models/rows_model.hpp"

namespace cello::studio {

class BenchHistoryModel final : public RowsModel<inspector::bench::BenchRun> {
    Q_OBJECT
public:
    enum Column { Id, Started, Url, Mode, Connections, Rps, P50, P99, Errors, Commit, ColumnCount };
    static constexpr int kRunIdRole = Qt::UserRole + 1;

    explicit BenchHistoryModel(QObject* parent = nullptr) : RowsModel(ColumnCount, parent) {}
    void setRuns(std::vector<inspector::bench::BenchRun> runs) { resetRows(std::move(runs)); }

    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;
    const inspector::bench::BenchRun* run(int r) const { return row(r); }
    int rowOf(std::int64_t id) const;  // -1 when not listed
};

}  // namespace cello::studio
