#include "output_capture.hpp"

#include <QMetaObject>

#include <cerrno>
#include <string>
#include <fcntl.h>   // POSIX: pipe2, fcntl
#include <poll.h>
#include <unistd.h>  // POSIX: dup2, read, write, close

namespace cello::studio {

OutputCapture::OutputCapture(QObject* parent) : QObject(parent) {
    start(out_, STDOUT_FILENO);
    start(err_, STDERR_FILENO);
}

OutputCapture::~OutputCapture() {
    stop(out_);
    stop(err_);
}

namespace {

// Writes all of `data` (a terminal may take it in pieces); gives up on errors other than EINTR.
void write_all(int fd, const char* data, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, data, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        data += w;
        n -= static_cast<std::size_t>(w);
    }
}

}  // namespace

void OutputCapture::start(Stream& s, int fd) {
    // Close-on-exec everywhere: an editor or subprocess started later must not inherit the pipe,
    // or the reader would never see its end.
    int fds[2], wake[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;  // no capture: output still reaches the terminal
    if (::pipe2(wake, O_CLOEXEC) != 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return;
    }
    s.fd = fd;
    s.saved = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    s.read_end = fds[0];
    s.wake_read = wake[0];
    s.wake_write = wake[1];
    ::dup2(fds[1], fd);  // the new fd 1/2 itself stays inheritable, as a terminal would be
    ::close(fds[1]);
    s.reader = std::thread([this, &s] { pump(s); });
}

void OutputCapture::stop(Stream& s) {
    if (s.saved < 0) return;
    ::dup2(s.saved, s.fd);  // output goes to the terminal again
    // A child that inherited fd 1/2 may keep the pipe open: wake the reader instead of waiting for EOF.
    write_all(s.wake_write, "x", 1);
    if (s.reader.joinable()) s.reader.join();
    for (int fd : {s.read_end, s.saved, s.wake_read, s.wake_write}) ::close(fd);
    s.saved = -1;
}

void OutputCapture::pump(Stream& s) {
    std::string pending;
    char buf[4096];
    bool stopping = false;
    for (;;) {
        pollfd fds[2] = {{s.read_end, POLLIN, 0}, {s.wake_read, POLLIN, 0}};
        // Once asked to stop, only what is already in the pipe is taken (no waiting).
        const int ready = ::poll(fds, stopping ? 1 : 2, stopping ? 0 : -1);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) break;
        if (!stopping && (fds[1].revents & POLLIN)) stopping = true;
        if (!(fds[0].revents & (POLLIN | POLLHUP))) {
            if (stopping) continue;  // look once more, without waiting
            break;
        }
        const ssize_t n = ::read(s.read_end, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        write_all(s.saved, buf, static_cast<std::size_t>(n));
        pending.append(buf, static_cast<std::size_t>(n));
        std::size_t start = 0;
        QStringList lines;
        for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
            lines << QString::fromUtf8(pending.data() + start, static_cast<qsizetype>(nl - start));
        pending.erase(0, start);
        post(s, lines);
    }
    if (!pending.empty()) post(s, {QString::fromUtf8(pending.data(), static_cast<qsizetype>(pending.size()))});
}

void OutputCapture::post(Stream& s, const QStringList& lines) {
    if (lines.isEmpty()) return;
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
