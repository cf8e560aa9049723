// Whole-server time series in one-second buckets for the last N seconds (default 300): requests,
// p50 / p99 latency, cache hit ratio, errors. Bounded: N buckets, each with its own
// LatencyHistogram (16 KiB), allocated once. Events are placed by their own time; an event older
// than the second its bucket now holds is dropped. Not thread-safe: owned by the inspector thread.
#pragma once

#include "inspector/event.hpp"
#include "inspector/latency_histogram.hpp"

#include <cstdint>
#include <vector>

namespace cello::inspector {

struct SecondPoint {
    std::int64_t second = 0;        // wall-clock second (ns since epoch / 1e9)
    std::uint64_t requests = 0;     // = req/s
    std::uint64_t errors_5xx = 0;
    std::uint64_t cache_hits = 0, cache_misses = 0;
    double hit_ratio = 0;           // hits / (hits + misses); 0 when neither
    std::int64_t p50_ns = 0, p99_ns = 0;
};

class TimeSeries {
public:
    explicit TimeSeries(unsigned seconds = 300);

    void record(const RequestEvent& e);
    // One point per second for the `seconds()` seconds ending with the one holding `now_ns`,
    // oldest first; seconds without requests give zero points.
    std::vector<SecondPoint> points(std::int64_t now_ns) const;
    unsigned seconds() const noexcept { return static_cast<unsigned>(buckets_.size()); }
    void reset();

private:
    struct Bucket {
        std::int64_t second = -1;
        std::uint64_t errors_5xx = 0, hits = 0, misses = 0;
        LatencyHistogram hist;
    };
    std::vector<Bucket> buckets_;  // indexed by second % seconds()
};

}  // namespace cello::inspector
