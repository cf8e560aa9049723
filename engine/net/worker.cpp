#include "engine/net/worker.hpp"

#include "engine/http_date.hpp"
#include "engine/net/asio_thread_reactor.hpp"
#include "engine/net/connection.hpp"
#include "engine/net/engine_thread.hpp"

#include <boost/asio/post.hpp>

#include <ctime>
#include <utility>
#include <vector>

namespace cello::engine::net {

Worker::Worker(const ServerOptions& options, std::shared_ptr<RouteTableHolder> routes, unsigned index)
    : options_(options), routes_(std::move(routes)), index_(index) {
    refresh_date();
}

void Worker::start(std::function<void()> on_exit) {
    on_exit_ = std::move(on_exit);
    thread_ = std::thread([this] {
        run();
        if (on_exit_) on_exit_();
    });
}

void Worker::join() {
    if (thread_.joinable()) thread_.join();
}

namespace {
// A plain pointer: MinGW's thread_local objects with destructors crash at thread exit (Windows).
thread_local Worker* t_worker = nullptr;
}  // namespace

boost::asio::io_context* engine_thread_io() noexcept { return t_worker && !t_worker->done_ ? &t_worker->io() : nullptr; }

void at_engine_thread_finish(std::function<void()> fn) {
    if (t_worker) t_worker->at_finish_.push_back(std::move(fn));
}

void Worker::run() {
    t_worker = this;
    if (options_.on_thread_start) options_.on_thread_start();
    if (options_.on_sweep) options_.on_sweep(index_, counts_);  // alive from the start
    arm_sweep();
    if (options_.drive) {
        AsioThreadReactor reactor(io_, index_);
        reactor_ = &reactor;
        options_.drive(reactor);
        reactor_ = nullptr;
    } else {
        io_.run();
    }
    // Drop the snapshot here: its handlers may need the engine thread's context to be destroyed.
    table_.reset();
    if (options_.on_thread_stop) options_.on_thread_stop();
}

const std::shared_ptr<const RouteTable>& Worker::route_table() {
    const auto v = routes_->version();
    if (v != table_version_) {
        table_ = routes_->current();
        table_version_ = v;
    }
    return table_;
}

void Worker::adopt(boost::asio::ip::tcp::socket socket) {
    // A connection accepted before a stop but started after it is still answered
    // (Connection::on_stop): the drain waits for it (pending_adopts_), and only once the worker is
    // done is a socket closed unanswered.
    pending_adopts_.fetch_add(1, std::memory_order_relaxed);
    boost::asio::post(io_, [this, s = std::move(socket)]() mutable {
        pending_adopts_.fetch_sub(1, std::memory_order_relaxed);
        if (!done_ && at_capacity()) refuse_connection(*this, std::move(s));
        else if (!done_) start_connection(*this, std::move(s));
        if (stopping_ && !head_ && !done_ && pending_adopts_.load(std::memory_order_relaxed) == 0) finished();
    });
}

bool Worker::at_capacity() const noexcept {
    if (options_.max_connections == 0) return false;
    // The server's bound shared out between its engine threads (each owns its connections).
    const std::size_t workers = options_.workers ? options_.workers : 1;
    return live_ >= (options_.max_connections + workers - 1) / workers;
}

void Worker::link(Connection* c) noexcept {
    ++live_;
    c->next = head_;
    c->prev = nullptr;
    if (head_) head_->prev = c;
    head_ = c;
}

void Worker::unlink(Connection* c) noexcept {
    --live_;
    if (c->prev) c->prev->next = c->next;
    else if (head_ == c) head_ = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = nullptr;
    if (stopping_ && !head_ && pending_adopts_.load(std::memory_order_relaxed) == 0)
        finished();  // last one gone: let run() return now
}

void Worker::watch_suspended() {
    if (watch_armed_) return;
    watch_armed_ = true;
    // Short enough that a client who leaves during a long handler is noticed within a tenth of a
    // second; long enough that a typical await is over before its connection starts a read that
    // would find nothing (a syscall, and an epoll round when the request does come).
    watch_timer_.expires_after(std::chrono::milliseconds(100));
    watch_timer_.async_wait([this](const boost::system::error_code& ec) {
        watch_armed_ = false;
        if (!ec) watch_due();
    });
}

void Worker::watch_due() {
    for (Connection* c = head_; c;) {
        Connection* next = c->next;
        c->on_watch_due();
        c = next;
    }
}

void Worker::refresh_date() { date_ = format_http_date(std::time(nullptr)); }

void Worker::arm_sweep() {
    sweep_timer_.expires_after(std::chrono::seconds(1));
    sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) sweep();
    });
}

void Worker::sweep() {
    ++tick_;
    refresh_date();
    if (options_.on_sweep) options_.on_sweep(index_, counts_);
    const bool drain_over = stopping_ && tick_ >= drain_deadline_;
    for (Connection* c = head_; c;) {
        Connection* next = c->next;  // closing never destroys synchronously, but stay safe
        if (drain_over) c->force_close();
        else c->on_tick(tick_);
        c = next;
    }
    // While stopping, the sweep keeps running only as long as connections remain; then run() returns.
    if (!stopping_ || head_) arm_sweep();
}

void Worker::finished() {
    done_ = true;
    sweep_timer_.cancel();
    watch_timer_.cancel();
    for (auto& fn : std::exchange(at_finish_, {})) fn();
    if (reactor_) reactor_->finish();
}

void Worker::begin_stop() {
    boost::asio::post(io_, [this] {
        if (stopping_) return;
        stopping_ = true;
        drain_deadline_ = tick_ + static_cast<std::uint64_t>(options_.drain_timeout.count()) + 1;
        for (Connection* c = head_; c;) {
            Connection* next = c->next;
            c->on_stop();
            c = next;
        }
        if (!head_ && pending_adopts_.load(std::memory_order_relaxed) == 0) finished();
    });
}

}  // namespace cello::engine::net
