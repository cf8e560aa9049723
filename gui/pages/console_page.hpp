// Console: the app's stdout and stderr, reload events with their duration, and errors.
#pragma once

#include <QWidget>

class QPlainTextEdit;

namespace cello::studio {

class StudioState;

class ConsolePage final : public QWidget {
    Q_OBJECT
public:
    explicit ConsolePage(StudioState& state, QWidget* parent = nullptr);
    void append(const QString& line, const QString& kind = {});  // kind: "", "err", "reload", "error", "studio"
    QString text() const;

private:
    StudioState& state_;
    QPlainTextEdit* log_;
};

}  // namespace cello::studio
