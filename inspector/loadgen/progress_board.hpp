// Where workers hand in their per-second counts and where progress() reads them. A second is
// published once every worker has reported it. Thread-safe; workers lock once per second each.
#pragma once

#include "inspector/loadgen/load_stats.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace cello::inspector::loadgen {

// A snapshot for a live view: completed seconds and totals over them (so totals lag by < 1 s).
struct Progress {
    bool started = false;   // connections are open and the clock runs
    bool finished = false;  // every worker has stopped
    double elapsed_s = 0;
    double duration_s = 0;  // as configured
    double target_rate = 0; // 0 in closed loop
    std::uint64_t requests = 0;
    std::uint64_t bytes_read = 0;
    ErrorCounts errors;
    std::vector<SecondSample> seconds;
};

class ProgressBoard {
public:
    using SecondCallback = std::function<void(const SecondSample&)>;

    ProgressBoard(unsigned workers, double duration_s, double target_rate, SecondCallback on_second);

    void set_start(std::chrono::steady_clock::time_point t0);
    // Worker's tally of second `second` (1-based), `span_s` long. Calls on_second (outside the
    // lock) on the worker that completes the second.
    void report(unsigned second, double span_s, const IntervalTally& tally);
    void set_finished();  // publishes seconds some worker never reported (a stop on a boundary)
    Progress snapshot() const;
    std::vector<SecondSample> seconds() const;

private:
    struct Pending {
        unsigned reports = 0;
        double span_s = 0;
        IntervalTally tally;
    };

    SecondSample publish(unsigned second, const Pending& p);  // under mutex_

    const unsigned workers_;
    SecondCallback on_second_;
    mutable std::mutex mutex_;
    Progress progress_;
    std::optional<std::chrono::steady_clock::time_point> t0_;
    std::chrono::steady_clock::time_point end_;
    std::map<unsigned, Pending> pending_;
};

}  // namespace cello::inspector::loadgen
