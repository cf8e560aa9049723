// ThreadReactor over a worker's io_context. Private to engine/.
#pragma once

#include "engine/thread_reactor.hpp"

#include "engine/net/waitable_handle.hpp"

#include <boost/asio/io_context.hpp>

namespace cello::engine::net {

class AsioThreadReactor final : public ThreadReactor {
public:
    AsioThreadReactor(boost::asio::io_context& io, unsigned index) : io_(io), watched_(io), index_(index) {}
    ~AsioThreadReactor() override;

    Woke run(std::optional<std::chrono::nanoseconds> timeout) override;
    void watch(int fd) override;
    void nudge() noexcept override { nudged_ = true; }
    void nudge_before(std::chrono::steady_clock::time_point when) noexcept override {
        if (when < deadline_) nudged_ = true;
    }
    unsigned index() const noexcept override { return index_; }
    std::unique_ptr<FdWatch> watch_fd(int fd) override;

    // The worker is stopped and drained: stop watching, so the io_context can run out of work.
    void finish();

private:
    void arm();
    void run_ready();  // engine handlers that are ready now, a bounded batch

    boost::asio::io_context& io_;
    WaitableHandle watched_;
    unsigned index_;
    bool armed_ = false;     // an async_wait on watched_ is outstanding
    bool readable_ = false;  // it completed: the foreign poller has events
    bool nudged_ = false;
    bool finished_ = false;
    // When the run() in progress returns at the latest (min(): none in progress, or one that only
    // runs what is ready; then every timer counts as earlier).
    std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::min();
};

}  // namespace cello::engine::net
