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
    // Opens file:line with $CELLO_EDITOR ("code -g {file}:{line}") if set, else the desktop's
    // handler for the file. Returns false when there is nothing to open.
    static bool openSource(const QString& file, int line);

Q_SIGNALS:
    // After a double-click: what was opened, or why nothing was (for the status bar).
    void sourceOpened(bool ok, const QString& message);

private:
    RoutesModel model_;
    QTableView* table_;
};

}  // namespace cello::studio
