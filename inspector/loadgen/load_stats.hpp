// What a load run counts: per worker while it runs, per second for progress, in total at the end.
#pragma once

#include "inspector/latency_histogram.hpp"
#include "inspector/loadgen/load_config.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace cello::inspector::loadgen {

// Failures by kind. Socket kinds (connect, read, write) count failed operations: one reset
// connection is one read error, however many requests it had in flight. `timeout` counts
// connections whose oldest request got no answer within the timeout (the connection is then
// reopened). 4xx/5xx responses are complete requests too: they are also in the latency.
struct ErrorCounts {
    std::uint64_t connect = 0;
    std::uint64_t read = 0;  // reset, EOF with requests in flight, unparseable response
    std::uint64_t write = 0;
    std::uint64_t timeout = 0;
    std::uint64_t status_4xx = 0;
    std::uint64_t status_5xx = 0;

    std::uint64_t socket() const noexcept { return connect + read + write + timeout; }
    std::uint64_t total() const noexcept { return socket() + status_4xx + status_5xx; }
    void merge(const ErrorCounts& o) noexcept;
    friend bool operator==(const ErrorCounts&, const ErrorCounts&) = default;
};

// Counted per second by each worker and summed over workers by ProgressBoard.
struct IntervalTally {
    std::uint64_t requests = 0;
    std::uint64_t bytes_read = 0;
    ErrorCounts errors;
    LatencyHistogram latency;

    void merge(const IntervalTally& o) noexcept;
    void reset() noexcept;
};

// The whole run (or one worker's share of it).
struct Tally {
    std::uint64_t requests = 0;    // complete responses within the run
    std::uint64_t bytes_read = 0;  // every byte received, headers included
    ErrorCounts errors;
    std::array<std::uint64_t, 6> status_classes{};  // [1] 1xx ... [5] 5xx; [0] anything else
    std::vector<std::uint64_t> per_target;          // complete responses by index into config.targets
    LatencyHistogram latency;      // from due time in open loop (corrected), from send time in closed loop
    LatencyHistogram uncorrected;  // open loop only: from send time, for comparison; empty in closed loop
    double latency_sum_ns = 0;     // exact mean and standard deviation, not bucket midpoints
    double latency_sum_sq = 0;

    void merge(const Tally& o);
    double mean_ns() const noexcept;
    double stdev_ns() const noexcept;
};

// One second of the run, all workers together. The last one may be shorter (span_s).
struct SecondSample {
    unsigned second = 0;  // 1 = the first second of the run
    double span_s = 1;
    std::uint64_t requests = 0;
    std::uint64_t bytes_read = 0;
    std::uint64_t errors = 0;
    double requests_per_sec = 0;
    std::int64_t p50_ns = 0;
    std::int64_t p90_ns = 0;
    std::int64_t p99_ns = 0;
    std::int64_t max_ns = 0;
};

}  // namespace cello::inspector::loadgen
