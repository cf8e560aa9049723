// Routes: the table of routes with live numbers; double-click opens the handler's source.
#pragma once

#include "models/routes_model.hpp"

#include <QWidget>

class QTableView;

namespace cello::studio {

class StudioState;

class RoutesPage final : public QWidget {
    Q_OBJECT
public:
    explicit RoutesPage(StudioState& state, QWidget* parent = nullptr);
    RoutesModel& model() { return model_; }

Q_SIGNALS:
    // After a double-click: what was opened, or why nothing was (for the status bar).
    void sourceOpened(bool ok, const QString& message);

private:
    RoutesModel model_;
    QTableView* table_;
};

}  // namespace cello::studio
