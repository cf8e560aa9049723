#include "output_capture.hpp"

#include <QMetaObject>

#include <string>
#include <unistd.h>  // POSIX: pipe, dup, dup2, read, write, close

namespace cello::studio {

OutputCapture::OutputCapture(QObject* parent) : QObject(parent) {
    start(out_, STDOUT_FILENO);
    start(err_, STDERR_FILENO);
}

OutputCapture::~OutputCapture() {
    stop(out_);
    stop(err_);
}

void OutputCapture::start(Stream& s, int fd) {
    int fds[2];
    if (::pipe(fds) != 0) return;  // no capture: output still reaches the terminal
    s.fd = fd;
    s.saved = ::dup(fd);
    s.read_end = fds[0];
    ::dup2(fds[1], fd);
    ::close(fds[1]);
    s.reader = std::thread([this, &s] { pump(s); });
}

void OutputCapture::stop(Stream& s) {
    if (s.saved < 0) return;
    ::dup2(s.saved, s.fd);  // closes the pipe's last write end: the reader sees EOF
    if (s.reader.joinable()) s.reader.join();
    ::close(s.read_end);
    ::close(s.saved);
    s.saved = -1;
}

void OutputCapture::pump(Stream& s) {
    std::string pending;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(s.read_end, buf, sizeof buf);
        if (n <= 0) break;
        [[maybe_unused]] const ssize_t w = ::write(s.saved, buf, static_cast<std::size_t>(n));
        pending.append(buf, static_cast<std::size_t>(n));
        std::size_t start = 0;
        QStringList lines;
        for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
            lines << QString::fromUtf8(pending.data() + start, static_cast<qsizetype>(nl - start));
        if (!lines.isEmpty()) {
            std::lock_guard lock(s.mutex);
            s.pending << lines;
            if (const auto extra = s.pending.size() - kMaxPendingLines; extra > 0) {
                s.pending.remove(0, extra);
                s.dropped += extra;
            }
            if (!s.posted) {
                s.posted = true;
                QMetaObject::invokeMethod(this, [this, &s] { flush(s); }, Qt::QueuedConnection);
            }
        }
        pending.erase(0, start);
    }
}

void OutputCapture::flush(Stream& s) {
    QStringList lines;
    qsizetype dropped = 0;
    {
        std::lock_guard lock(s.mutex);
        lines.swap(s.pending);
        std::swap(dropped, s.dropped);
        s.posted = false;
    }
    const bool is_err = s.fd == STDERR_FILENO;
    if (dropped > 0) Q_EMIT line(tr("… %1 lines not shown here (the terminal has them)").arg(dropped), is_err);
    if (!lines.isEmpty()) Q_EMIT line(lines.join('\n'), is_err);
}

}  // namespace cello::studio
