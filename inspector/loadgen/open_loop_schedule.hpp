// Open-loop timing (as wrk2): the total rate is split evenly over the connections, and each
// connection's requests are due at fixed times whether or not the server keeps up. A request's
// latency is counted from when it was due, not from when it could finally be sent; that is the
// coordinated-omission correction (a stalled server cannot hide the requests it delayed).
#pragma once

#include <chrono>
#include <cstdint>

namespace cello::inspector::loadgen {

class OpenLoopSchedule {
public:
    // rate: requests per second over all connections (> 0); connections > 0.
    OpenLoopSchedule(double rate, unsigned connections) noexcept : rate_(rate), connections_(connections) {}

    // When request k (0-based) of connection `index` is due, as an offset from the run's start.
    // Connection i starts at i / rate, so all sends are spaced 1 / rate apart over the whole run.
    // Computed from k directly, so no rounding error accumulates over a long run.
    std::chrono::nanoseconds due(unsigned index, std::uint64_t k) const noexcept {
        const double slot = static_cast<double>(index) + static_cast<double>(k) * connections_;
        return std::chrono::nanoseconds(static_cast<std::int64_t>(slot * 1e9 / rate_));
    }
    // The gap between two requests of one connection.
    std::chrono::nanoseconds interval() const noexcept {
        return std::chrono::nanoseconds(static_cast<std::int64_t>(connections_ * 1e9 / rate_));
    }
    // How many requests of connection `index` are due by `offset` (how many due() values are <= it).
    std::uint64_t due_by(unsigned index, std::chrono::nanoseconds offset) const noexcept;

private:
    double rate_;
    unsigned connections_;
};

// Latency as reported: from due time in open loop (corrected), from send time in closed loop.
constexpr std::int64_t latency_ns(std::chrono::steady_clock::time_point start,
                                  std::chrono::steady_clock::time_point done) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(done - start).count();
}

}  // namespace cello::inspector::loadgen
