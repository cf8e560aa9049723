// WebSockets page table: the open WebSocket connections of the latest snapshot, then the last ones
// that ended (with their close code), each with its message counts.
#pragma once

#include "inspector/live_view.hpp"

#include "models/rows_model.hpp"

namespace cello::studio {

class WebSocketsModel final : public RowsModel<inspector::WebSocketRow> {
    Q_OBJECT
public:
    enum Column { Id, Route, Path, Client, State, MessagesIn, MessagesOut, BytesIn, BytesOut, Duration, ColumnCount };

    explicit WebSocketsModel(QObject* parent = nullptr) : RowsModel(ColumnCount, parent) {}
    void refresh(const inspector::LiveView& view);

    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

private:
    std::int64_t now_ns_ = 0;  // the snapshot's clock, for the open ones' durations
};

}  // namespace cello::studio
