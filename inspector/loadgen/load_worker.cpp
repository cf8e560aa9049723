#include "inspector/loadgen/load_worker.hpp"

#include "inspector/loadgen/client_connection.hpp"
#if CELLO_HTTP2
#include "inspector/loadgen/http2_connection.hpp"
#endif
#include "inspector/loadgen/websocket_connection.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace cello::inspector::loadgen {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Only this worker's thread touches its sockets and timers; stop() merely posts. So the reactor
// needs no locks (the scheduler, which post() uses, keeps its own).
constexpr int kConcurrencyHint = BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO;
constexpr auto kGoodbyeTime = std::chrono::seconds(1);

Clock::duration sweep_period(Clock::duration timeout) {
    return std::clamp<Clock::duration>(timeout / 4, std::chrono::milliseconds(1), std::chrono::milliseconds(50));
}

}  // namespace

Worker::Worker(const RunPlan& plan, ProgressBoard& board, unsigned first_index, unsigned connections)
    : plan_(plan), board_(board), io_(kConcurrencyHint), tick_timer_(io_), end_timer_(io_), sweep_timer_(io_) {
    totals_.per_target.assign(plan.config.targets.size(), 0);
    connections_.reserve(connections);
    for (unsigned i = 0; i < connections; ++i) {
        if (plan.config.websocket) connections_.push_back(std::make_unique<WebSocketConnection>(*this, first_index + i));
#if CELLO_HTTP2
        else if (plan.config.http2) connections_.push_back(std::make_unique<Http2Connection>(*this, first_index + i));
#endif
        else connections_.push_back(std::make_unique<ClientConnection>(*this, first_index + i));
    }
}

Worker::~Worker() = default;

void Worker::connect_all() {
    unsettled_ = static_cast<unsigned>(connections_.size());
    for (auto& c : connections_) c->connect();
    // Connects that hang (a black-holed address) give up after the timeout.
    sweep_timer_.expires_after(plan_.config.timeout);
    sweep_timer_.async_wait([this](error_code ec) {
        if (ec) return;
        const auto late = Clock::now() + plan_.config.timeout;  // everything still connecting is late
        for (auto& c : connections_) c->check_timeout(late);
    });
    io_.run();  // until connect_settled() (or stop()) stops it; reads stay queued for run()
    io_.restart();
}

void Worker::connect_settled() {
    if (unsettled_ > 0 && --unsettled_ == 0) io_.stop();
}

void Worker::run() {
    if (ended_) return;
    unsettled_ = 0;
    running_ = true;
    for (auto& c : connections_) c->begin();
    end_timer_.expires_at(plan_.end);
    end_timer_.async_wait([this](error_code ec) {
        if (!ec) finish(false);
    });
    tick();
    sweep();
    io_.run();
}

void Worker::stop() {
    asio::post(io_, [this] { finish(true); });
}

void Worker::tick() {
    const auto next = plan_.t0 + std::chrono::seconds(second_);
    if (next >= plan_.end) return;  // the end timer reports the last second
    tick_timer_.expires_at(next);
    tick_timer_.async_wait([this](error_code ec) {
        if (ec || ended_) return;
        board_.report(second_, 1.0, interval_);
        interval_.reset();
        ++second_;
        tick();
    });
}

void Worker::sweep() {
    sweep_timer_.expires_after(sweep_period(plan_.config.timeout));
    sweep_timer_.async_wait([this](error_code ec) {
        if (ec || ended_) return;
        const auto now = Clock::now();
        for (auto& c : connections_) c->check_timeout(now);
        sweep();
    });
}

void Worker::finish(bool early) {
    if (ended_) return;
    ended_ = true;
    const auto now = Clock::now();
    if (!running_) {  // stopped while connecting: the run never started
        finished_at_ = plan_.t0;
        stopped_early_ = early;
    } else {
        finished_at_ = early ? std::min(now, plan_.end) : plan_.end;
        stopped_early_ = early && now < plan_.end;
    }
    if (running_) {
        const auto second_start = plan_.t0 + std::chrono::seconds(second_ - 1);
        board_.report(second_, std::chrono::duration<double>(finished_at_ - second_start).count(), interval_);
    }
    running_ = false;
    tick_timer_.cancel();
    end_timer_.cancel();
    sweep_timer_.cancel();
    for (auto& c : connections_)
        if (c->close_gracefully([this] {
                if (--closing_ == 0) io_.stop();
            }))
            ++closing_;
    if (closing_ == 0) {
        io_.stop();
        return;
    }
    // Goodbyes get a moment (not counted in the run's time), then the loop stops regardless.
    end_timer_.expires_after(kGoodbyeTime);
    end_timer_.async_wait([this](error_code ec) {
        if (!ec) io_.stop();
    });
}

void Worker::record(const InFlight& request, unsigned status, Clock::time_point now) noexcept {
    if (!running_) return;
    const auto ns = latency_ns(request.start, now);
    totals_.latency.record(ns);
    interval_.latency.record(ns);
    const auto d = static_cast<double>(ns);
    totals_.latency_sum_ns += d;
    totals_.latency_sum_sq += d * d;
    if (plan_.schedule) totals_.uncorrected.record(latency_ns(request.sent, now));
    ++totals_.requests;
    ++interval_.requests;
    ++totals_.per_target[request.target];
    if (status == 0) return;  // a WebSocket echo
    const unsigned cls = status / 100;
    ++totals_.status_classes[cls >= 1 && cls <= 5 ? cls : 0];
    if (cls == 4) count_error(&ErrorCounts::status_4xx);
    if (cls == 5) count_error(&ErrorCounts::status_5xx);
}

}  // namespace cello::inspector::loadgen
