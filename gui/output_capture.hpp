// Captures this process's stdout and stderr at the file-descriptor level (Python's print, the
// engine's tracebacks and request log alike) and hands each line to the GUI thread, while still
// copying everything to the original terminal.
//
// POSIX (pipe, dup2); a Windows port swaps in _pipe/_dup2 at the marked spots.
#pragma once

#include <QObject>
#include <QString>

#include <atomic>
#include <thread>

namespace cello::studio {

class OutputCapture : public QObject {
    Q_OBJECT
public:
    explicit OutputCapture(QObject* parent = nullptr);
    ~OutputCapture() override;  // restores the descriptors

Q_SIGNALS:
    void line(const QString& text, bool is_stderr);  // delivered on the GUI thread

private:
    struct Stream {
        int fd = -1;        // 1 or 2
        int saved = -1;     // the original descriptor, kept for the copy to the terminal
        int read_end = -1;
        std::thread reader;
    };
    void start(Stream& s, int fd);
    void stop(Stream& s);
    void pump(Stream& s);

    Stream out_, err_;
};

}  // namespace cello::studio
