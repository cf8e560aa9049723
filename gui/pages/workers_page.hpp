// Workers: the worker processes of a cluster (cello run --processes N --inspect, attached to):
// pid, state, requests answered, WebSocket connections open, memory, restarts. A single-process server has none and says so.
#pragma once

#include "models/workers_model.hpp"

#include <QWidget>

class QLabel;
class QTableView;

namespace cello::studio {

class StudioState;

class WorkersPage final : public QWidget {
    Q_OBJECT
public:
    explicit WorkersPage(StudioState& state, QWidget* parent = nullptr);
    WorkersModel& model() { return model_; }
    QString summary() const;

private:
    void refresh(StudioState& state);

    WorkersModel model_;
    QLabel* summary_;
    QTableView* table_;
};

}  // namespace cello::studio
