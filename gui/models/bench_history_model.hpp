// Benchmark page history table: one row per stored run (newest first), from BenchHistory::list().
#pragma once

#include "inspector/bench/bench_run.hpp"

#include <QAbstractTableModel>

namespace cello::studio {

class BenchHistoryModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Id, Started, Url, Mode, Connections, Rps, P50, P99, Errors, Commit, ColumnCount };
    static constexpr int kRunIdRole = Qt::UserRole + 1;

    using QAbstractTableModel::QAbstractTableModel;
    void setRuns(std::vector<inspector::bench::BenchRun> runs);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;
    const inspector::bench::BenchRun* run(int row) const;
    int rowOf(std::int64_t id) const;  // -1 when not listed

private:
    std::vector<inspector::bench::BenchRun> runs_;
};

}  // namespace cello::studio
