// Console: the app's output (stdout and stderr in the order written), the request log, Cello's and
// the studio's messages — one line per event, searchable, filtered by source and level, pausable,
// savable. Attached to a server, its reloads and failures (from the inspector) are listed too.
#pragma once

#include "console_lines.hpp"

#include <QDateTime>
#include <QWidget>

#include <deque>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace cello::studio {

class StudioState;

class ConsolePage final : public QWidget {
    Q_OBJECT
public:
    static constexpr std::size_t kMaxLines = 20000;  // bounded, like everything the studio keeps

    explicit ConsolePage(StudioState& state, QWidget* parent = nullptr);
    // Captured output of the app (one or more lines, possibly with terminal colours).
    void appendOutput(const QString& text);
    // The studio's own event: kind "studio" (information) or "error".
    void append(const QString& line, const QString& kind = "studio");
    // Attached to a remote server: its reloads and failed requests come from its inspector (its
    // output is not ours to show). Off for the studio's own app, whose output already says them.
    void setRemoteEvents(bool on) { remote_events_ = on; }

    QString text() const;       // every line kept, as plain text
    QString shownText() const;  // what the search and filters leave, as shown
    bool saveTo(const QString& path, QString* error = nullptr) const;  // every line kept
    void setSearch(const QString& text);
    void setSource(int source);  // -1: all, else a LineSource
    void setMinimumLevel(LineLevel level);
    void setPaused(bool paused);

private:
    struct Entry {
        QDateTime time;
        ConsoleLine kind;
        QString plain, html;
    };
    QString add(Entry e);  // keeps it; returns its HTML paragraph if it is to be shown now
    bool shown(const Entry& e) const;
    QString render(const Entry& e) const;
    void rebuild();      // the view again from the kept lines (a filter changed)
    void showWaiting();  // lines that arrived while paused

    StudioState& state_;
    QPlainTextEdit* log_;
    QLineEdit* search_;
    QComboBox* source_;
    QComboBox* level_;
    QPushButton* pause_;
    QLabel* paused_note_;
    std::deque<Entry> entries_;
    std::size_t waiting_ = 0;  // the newest entries not shown yet (paused)
    LineClassifier classifier_;
    bool remote_events_ = false;
    bool paused_ = false;
};

}  // namespace cello::studio
