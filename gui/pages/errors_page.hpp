// Errors: every failure of the session, grouped by exception type and place, with counts, routes,
// first and last seen; the selected group's latest traceback with framework frames folded and
// each app frame a link to the editor. Nothing here is pushed out by traffic.
#pragma once

#include "models/error_groups_model.hpp"

#include <QWidget>

class QCheckBox;
class QLabel;
class QTableView;
class QTextBrowser;

namespace cello::studio {

class StudioState;
class TableSortFilter;

class ErrorsPage final : public QWidget {
    Q_OBJECT
public:
    explicit ErrorsPage(StudioState& state, QWidget* parent = nullptr);
    ErrorGroupsModel& model() { return model_; }
    QString summary() const;    // the line above the table
    QString traceback() const;  // the details pane's text
    void selectGroup(int group);  // by its index in StudioState::errorGroups()
    // Follows a link of the details pane ("frame:N", "fold"), as a click would.
    void followLink(const QString& link);

Q_SIGNALS:
    void sourceOpened(bool ok, const QString& message);  // a frame was clicked

private:
    void refresh();
    void showGroup();
    int selectedGroup() const;

    StudioState& state_;
    ErrorGroupsModel model_;
    TableSortFilter* sorted_ = nullptr;
    QLabel* summary_;
    QCheckBox* framework_;
    QTableView* table_;
    QTextBrowser* details_;
    // What the details pane shows: its group, and that group's state then (so a refresh that
    // changed nothing does not redraw it under the user's selection or scroll position).
    int shown_group_ = -1;
    std::uint64_t shown_count_ = 0;
    bool shown_framework_ = false;
    inspector::ParsedTraceback shown_;
};

}  // namespace cello::studio
