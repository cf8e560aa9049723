// WebSockets: the app's open WebSocket connections (route, path, client, messages and bytes each
// way, how long open) and the last ones that ended with their close code, from the inspector.
#pragma once

#include "models/websockets_model.hpp"

#include <QWidget>

class QLabel;
class QTableView;

namespace cello::studio {

class StudioState;

class WebSocketsPage final : public QWidget {
    Q_OBJECT
public:
    explicit WebSocketsPage(StudioState& state, QWidget* parent = nullptr);
    WebSocketsModel& model() { return model_; }
    QString summary() const;

private:
    void refresh(StudioState& state);

    WebSocketsModel model_;
    QLabel* summary_;
    QTableView* table_;
};

}  // namespace cello::studio
