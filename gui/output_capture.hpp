// Captures this process's stdout and stderr at the file-descriptor level (Python's print, the
// engine's tracebacks and request log alike) and hands the lines to the GUI thread, while still
// copying everything to the terminal's stderr. Both descriptors write into one pipe, so lines
// arrive in exactly the order they were written (two pipes cannot say which of two writes came
// first); what a line is, is read from its text (console_lines.hpp).
//
// The descriptor work is the platform's (engine/platform/stdio_capture.hpp); this class reads on
// its own thread, splits lines and batches them for the GUI.
#pragma once

#include "engine/platform/stdio_capture.hpp"

#include <QObject>
#include <QString>
#include <QStringList>

#include <mutex>
#include <thread>

namespace cello::studio {

class OutputCapture : public QObject {
    Q_OBJECT
public:
    explicit OutputCapture(QObject* parent = nullptr);
    ~OutputCapture() override;  // restores the descriptors

    // Lines waiting for the GUI beyond this are dropped (oldest first) and counted: a server
    // logging every request under a benchmark must not bury the event loop.
    static constexpr qsizetype kMaxPendingLines = 500;

Q_SIGNALS:
    // Delivered on the GUI thread; `text` may hold several lines (one batch per turn of the
    // event loop, however fast the output comes).
    void line(const QString& text);

private:
    void pump();
    void post(const QStringList& lines);  // hands lines to the GUI thread (batched)
    void flush();

    engine::platform::StdioCapture capture_;
    std::thread reader_;
    std::mutex mutex_;                      // guards the batch below (reader thread -> GUI thread)
    QStringList pending_;
    qsizetype dropped_ = 0;
    bool posted_ = false;                   // a flush is queued: later lines ride along with it
};

}  // namespace cello::studio
