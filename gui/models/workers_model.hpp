// Workers page table: one row per worker process of a cluster, from the latest snapshot.
#pragma once

#include "inspector/live_view.hpp"

#include "models/rows_model.hpp"

namespace cello::studio {

class WorkersModel final : public RowsModel<inspector::WorkerRow> {
    Q_OBJECT
public:
    enum Column { Slot, Pid, State, Requests, WebSockets, Memory, Restarts, Uptime, ColumnCount };

    explicit WorkersModel(QObject* parent = nullptr) : RowsModel(ColumnCount, parent) {}
    void refresh(const inspector::LiveView& view);

    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

private:
    std::int64_t now_ns_ = 0;  // the snapshot's clock, for uptimes
};

}  // namespace cello::studio
