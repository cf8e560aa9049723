#include "engine/net/asio_thread_reactor.hpp"

namespace cello::engine::net {

namespace {
// Ready engine handlers run before run() returns to the foreign loop, so that a burst of requests
// is answered in one pass; bounded so the foreign loop's callbacks are never starved.
constexpr int kBatch = 64;
}  // namespace

// An fd of the caller's on this io_context: waits go through Asio's reactor with the engine's own
// sockets. A flag shared with the pending handler tells it the watch is gone (cancelled waits
// still complete, with operation_aborted, on a later run).
class AsioFdWatch final : public FdWatch {
public:
    AsioFdWatch(boost::asio::io_context& io, int fd) : descriptor_(io, fd) {}
    ~AsioFdWatch() override {
        *alive_ = false;
        descriptor_.cancel();
        descriptor_.release();  // never closed here: the fd is the caller's
    }

    void wait(bool writable, std::function<void(bool ok)> ready) override {
        descriptor_.async_wait(writable, [alive = alive_, ready = std::move(ready)](const boost::system::error_code& ec) {
            if (*alive && ec != boost::asio::error::operation_aborted) ready(!ec);
        });
    }

private:
    WaitableHandle descriptor_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

AsioThreadReactor::~AsioThreadReactor() { watch(-1); }

std::unique_ptr<FdWatch> AsioThreadReactor::watch_fd(int fd) { return std::make_unique<AsioFdWatch>(io_, fd); }

void AsioThreadReactor::watch(int fd) {
    if (watched_.is_open()) {
        watched_.cancel();
        watched_.release();  // the fd is the foreign loop's: never closed here
    }
    armed_ = readable_ = false;
    if (fd >= 0) watched_.assign(fd);
}

void AsioThreadReactor::finish() {
    finished_ = true;
    if (watched_.is_open()) watched_.cancel();
}

void AsioThreadReactor::arm() {
    if (armed_ || finished_ || !watched_.is_open()) return;
    armed_ = true;
    // Asio re-registers the fd when a wait starts, so a poller that is still readable (events the
    // foreign loop left for later) completes the wait at once: level-triggered, as select() must be.
    watched_.async_wait(false, [this](const boost::system::error_code& ec) {
        armed_ = false;
        if (!ec) readable_ = true;
    });
}

void AsioThreadReactor::run_ready() {
    for (int i = 0; i < kBatch && io_.poll_one() != 0; ++i) {
    }
}

ThreadReactor::Woke AsioThreadReactor::run(std::optional<std::chrono::nanoseconds> timeout) {
    if (io_.stopped()) return Woke::Finished;
    nudged_ = false;
    arm();
    if (timeout && timeout->count() <= 0) {
        run_ready();
    } else {
        const auto deadline = timeout ? std::chrono::steady_clock::now() + *timeout
                                      : std::chrono::steady_clock::time_point::max();
        deadline_ = deadline;
        while (!nudged_ && !readable_) {
            const std::size_t ran = timeout ? io_.run_one_until(deadline) : io_.run_one();
            if (ran == 0) break;  // the deadline passed, or the io_context ran out of work
        }
        if (nudged_ || readable_) run_ready();
        deadline_ = std::chrono::steady_clock::time_point::min();
    }
    if (readable_) {
        readable_ = false;
        return Woke::Readable;
    }
    if (nudged_) return Woke::Nudged;
    return io_.stopped() ? Woke::Finished : Woke::Timeout;
}

}  // namespace cello::engine::net
