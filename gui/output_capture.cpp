#include "output_capture.hpp"

#include <QMetaObject>

#include <cerrno>
#include <string>
#include <fcntl.h>   // POSIX: pipe2, fcntl
#include <poll.h>
#include <unistd.h>  // POSIX: dup2, read, write, close

namespace cello::studio {

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

OutputCapture::OutputCapture(QObject* parent) : QObject(parent) {
    // Close-on-exec everywhere: an editor or subprocess started later must not inherit the pipe,
    // or the reader would never see its end.
    int fds[2], wake[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;  // no capture: output still reaches the terminal
    if (::pipe2(wake, O_CLOEXEC) != 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return;
    }
    saved_out_ = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
    saved_err_ = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
    read_end_ = fds[0];
    wake_read_ = wake[0];
    wake_write_ = wake[1];
    // The new fd 1 and 2 stay inheritable, as a terminal would be.
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[1]);
    reader_ = std::thread([this] { pump(); });
}

OutputCapture::~OutputCapture() {
    if (read_end_ < 0) return;
    ::dup2(saved_out_, STDOUT_FILENO);  // output goes to the terminal again
    ::dup2(saved_err_, STDERR_FILENO);
    // A child that inherited fd 1/2 may keep the pipe open: wake the reader instead of waiting for EOF.
    write_all(wake_write_, "x", 1);
    if (reader_.joinable()) reader_.join();
    for (int fd : {read_end_, saved_out_, saved_err_, wake_read_, wake_write_}) ::close(fd);
}

void OutputCapture::pump() {
    std::string pending;
    char buf[4096];
    bool stopping = false;
    for (;;) {
        pollfd fds[2] = {{read_end_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
        // Once asked to stop, only what is already in the pipe is taken (no waiting).
        const int ready = ::poll(fds, stopping ? 1 : 2, stopping ? 0 : -1);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) break;
        if (!stopping && (fds[1].revents & POLLIN)) stopping = true;
        if (!(fds[0].revents & (POLLIN | POLLHUP))) {
            if (stopping) continue;  // look once more, without waiting
            break;
        }
        const ssize_t n = ::read(read_end_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        write_all(saved_err_, buf, static_cast<std::size_t>(n));
        pending.append(buf, static_cast<std::size_t>(n));
        std::size_t start = 0;
        QStringList lines;
        for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
            lines << QString::fromUtf8(pending.data() + start, static_cast<qsizetype>(nl - start));
        pending.erase(0, start);
        post(lines);
    }
    if (!pending.empty()) post({QString::fromUtf8(pending.data(), static_cast<qsizetype>(pending.size()))});
}

void OutputCapture::post(const QStringList& lines) {
    if (lines.isEmpty()) return;
    std::lock_guard lock(mutex_);
    pending_ << lines;
    if (const auto extra = pending_.size() - kMaxPendingLines; extra > 0) {
        pending_.remove(0, extra);
        dropped_ += extra;
    }
    if (!posted_) {
        posted_ = true;
        QMetaObject::invokeMethod(this, &OutputCapture::flush, Qt::QueuedConnection);
    }
}

void OutputCapture::flush() {
    QStringList lines;
    qsizetype dropped = 0;
    {
        std::lock_guard lock(mutex_);
        lines.swap(pending_);
        std::swap(dropped, dropped_);
        posted_ = false;
    }
    if (dropped > 0) Q_EMIT line(tr("… %1 lines not shown here (the terminal has them)").arg(dropped));
    if (!lines.isEmpty()) Q_EMIT line(lines.join('\n'));
}

}  // namespace cello::studio
