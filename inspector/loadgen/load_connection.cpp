#include "inspector/loadgen/load_connection.hpp"

#include "inspector/loadgen/load_worker.hpp"

namespace cello::inspector::loadgen {

using boost::system::error_code;

namespace {
constexpr auto kRetryDelay = std::chrono::milliseconds(100);  // after a failed connect: do not spin
}  // namespace

LoadConnection::LoadConnection(Worker& worker, unsigned index)
    : worker_(worker),
      plan_(worker.plan()),
      index_(index),
      timer_(worker.io()),
      in_flight_(plan_.config.pipeline),
      mix_(plan_.config.targets) {
    mix_.advance(index);  // neighbouring connections start on different paths
}

void LoadConnection::begin() {
    if (state_ == State::Open) pump();
    else connect();
}

std::optional<InFlight> LoadConnection::next_request(Clock::time_point now) {
    if (!plan_.schedule) {
        const auto target = static_cast<std::uint32_t>(mix_.next());
        return InFlight{now, now, target};
    }
    const auto due = plan_.t0 + plan_.schedule->due(index_, next_k_);
    if (due >= plan_.end) return std::nullopt;  // the run ends before this one is due
    if (due > now) {
        if (!timer_armed_) {
            timer_armed_ = true;
            timer_.expires_at(due);
            timer_.async_wait([this, epoch = epoch_](error_code ec) {
                if (epoch != epoch_ || ec) return;
                timer_armed_ = false;
                pump();
            });
        }
        return std::nullopt;
    }
    // Late requests go out at once, their latency still counted from when they were due.
    ++next_k_;
    const auto target = static_cast<std::uint32_t>(mix_.next());
    return InFlight{due, now, target};
}

void LoadConnection::remove(std::size_t i) noexcept {
    for (; i + 1 < count_; ++i) at(i) = at(i + 1);
    --count_;
}

void LoadConnection::check_timeout(Clock::time_point now) {
    const auto limit = plan_.config.timeout;
    if (state_ == State::Connecting && now - connect_started_ > limit) {
        worker_.connect_settled();
        fail(&ErrorCounts::connect);
    } else if (state_ == State::Open && count_ > 0 && now - oldest().sent > limit) {
        // Every request in flight on this connection is lost with it (several when pipelining).
        for (std::size_t i = 0; i < count_; ++i) worker_.count_error(&ErrorCounts::timeout);
        reset();
        connect();
    }
}

void LoadConnection::fail(std::uint64_t ErrorCounts::*kind) {
    const bool was_connecting = state_ == State::Connecting;
    if (worker_.running() || kind == &ErrorCounts::connect) {
        const std::size_t lost = count_ > 0 ? count_ : 1;
        for (std::size_t i = 0; i < lost; ++i) worker_.count_error(kind);
    }
    reset();
    if (!worker_.running()) return;
    if (was_connecting) retry_later();
    else connect();
}

void LoadConnection::retry_later() {
    timer_armed_ = true;
    timer_.expires_after(kRetryDelay);
    timer_.async_wait([this, epoch = epoch_](error_code ec) {
        if (epoch != epoch_ || ec) return;
        timer_armed_ = false;
        connect();
    });
}

void LoadConnection::reset() {
    ++epoch_;
    close_transport();
    timer_.cancel();
    timer_armed_ = false;
    state_ = State::Closed;
    writing_ = false;
    head_ = count_ = 0;
}

}  // namespace cello::inspector::loadgen
