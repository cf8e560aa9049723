#include "engine/platform/stdio_capture.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>  // pipe2, fcntl
#include <poll.h>
#include <sys/ioctl.h>  // FIONREAD
#include <unistd.h>  // dup2, read, write, close

namespace cello::engine::platform {

struct StdioCapture::Impl {
    int saved_out = -1, saved_err = -1;  // the original descriptors (terminal copy, restore)
    int read_end = -1;
    int wake_read = -1, wake_write = -1;  // stop() wakes the reader through this pipe
    std::atomic<bool> stopped{false};
    bool stopping = false;  // the reader has seen the wake-up (reader thread only)
    int drain_left = 0;     // once stopping: what was in the pipe then, still to be read
};

namespace {

// All of `data` (a terminal may take it in pieces); gives up on errors other than EINTR.
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

StdioCapture::StdioCapture() {
    // Close-on-exec for our own ends: an editor or subprocess started later must not hold the
    // read end or the wake-up pipe.
    int fds[2], wake[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    if (::pipe2(wake, O_CLOEXEC) != 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return;
    }
    impl_ = std::make_unique<Impl>();
    std::fflush(stdout);  // what was written before the capture is not the capture's
    std::fflush(stderr);
    impl_->saved_out = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
    impl_->saved_err = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
    impl_->read_end = fds[0];
    impl_->wake_read = wake[0];
    impl_->wake_write = wake[1];
    ::dup2(fds[1], STDOUT_FILENO);  // dup2 clears close-on-exec: fd 1 and 2 stay inheritable
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[1]);
}

StdioCapture::~StdioCapture() {
    if (!impl_) return;
    stop();
    for (int fd : {impl_->read_end, impl_->saved_out, impl_->saved_err, impl_->wake_read, impl_->wake_write})
        if (fd >= 0) ::close(fd);
}

bool StdioCapture::active() const noexcept { return impl_ != nullptr; }

std::size_t StdioCapture::read(char* buffer, std::size_t size) {
    if (!impl_) return 0;
    Impl& s = *impl_;
    for (;;) {
        if (s.stopping) {
            // Only what was in the pipe when the stop came (FIONREAD then): a child that keeps
            // writing into it must not keep the reader (and whoever waits for it) going.
            if (s.drain_left <= 0) return 0;
            const ssize_t n = ::read(s.read_end, buffer, std::min(size, static_cast<std::size_t>(s.drain_left)));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return 0;
            s.drain_left -= static_cast<int>(n);
            return static_cast<std::size_t>(n);
        }
        pollfd fds[2] = {{s.read_end, POLLIN, 0}, {s.wake_read, POLLIN, 0}};
        const int ready = ::poll(fds, 2, -1);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return 0;
        if (fds[1].revents & POLLIN) {
            s.stopping = true;
            if (::ioctl(s.read_end, FIONREAD, &s.drain_left) != 0) s.drain_left = 0;
            continue;
        }
        if (!(fds[0].revents & (POLLIN | POLLHUP))) return 0;
        const ssize_t n = ::read(s.read_end, buffer, size);
        if (n < 0 && errno == EINTR) continue;
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
}

void StdioCapture::stop() {
    if (!impl_ || impl_->stopped.exchange(true)) return;
    std::fflush(stdout);  // what the C library still buffers belongs to the capture
    std::fflush(stderr);
    ::dup2(impl_->saved_out, STDOUT_FILENO);  // output goes to the terminal again
    ::dup2(impl_->saved_err, STDERR_FILENO);
    write_all(impl_->wake_write, "x", 1);
}

void StdioCapture::write_original(std::string_view data) {
    if (impl_ && impl_->saved_err >= 0) write_all(impl_->saved_err, data.data(), data.size());
}

}  // namespace cello::engine::platform
