// Captures this process's stdout and stderr at the file-descriptor level (Python's print, the
// engine's tracebacks and request log alike) and hands each line to the GUI thread, while still
// copying everything to the original terminal.
//
// POSIX (pipe2, dup2, poll); a Windows port swaps in _pipe/_dup2 and a wake-up event.
#pragma once

#include <QObject>
#include <QString>

#include <QStringList>

#include <atomic>
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
    void line(const QString& text, bool is_stderr);

private:
    struct Stream {
        int fd = -1;        // 1 or 2
        int saved = -1;     // the original descriptor, kept for the copy to the terminal
        int read_end = -1;
        int wake_read = -1, wake_write = -1;  // stop() wakes the reader through this pipe
        std::thread reader;
        std::mutex mutex;     // guards the batch below (reader thread -> GUI thread)
        QStringList pending;
        qsizetype dropped = 0;
        bool posted = false;  // a flush is queued: later lines ride along with it
    };
    void start(Stream& s, int fd);
    void stop(Stream& s);
    void pump(Stream& s);
    void post(Stream& s, const QStringList& lines);  // hands lines to the GUI thread (batched)
    void flush(Stream& s);

    Stream out_, err_;
};

}  // namespace cello::studio
