// Request metrics kept per engine thread: counters and histograms by (method, route, status),
// and the in-progress gauge. Each engine thread writes only its own shard: the shard's lock is
// contended only while a scrape copies that shard, never by another engine thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cello::engine {

struct Route;

// Upper bounds (le) of the request duration histogram, in seconds.
inline constexpr std::array<double, 14> kDurationBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};
// Upper bounds of the response size histogram, in bytes: powers of 4 from 64 B to 16 MiB.
inline constexpr std::array<double, 10> kSizeBuckets{64, 256, 1024, 4096, 16384, 65536, 262144, 1048576,
                                                     4194304, 16777216};

inline constexpr std::string_view kUnmatchedRoute = "<unmatched>";

// One histogram's raw counts: counts[i] for (bound[i-1], bound[i]], the last for above all bounds.
// Non-cumulative, so recording touches one bucket.
template <std::size_t Bounds>
struct HistogramCounts {
    std::array<std::uint64_t, Bounds + 1> counts{};
    std::uint64_t sum = 0;  // integer units (ns, bytes): exact when shards are added up

    void add(const HistogramCounts& o) {
        for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += o.counts[i];
        sum += o.sum;
    }
};

// Everything recorded for one (method, route) label pair.
struct RouteSeriesSnapshot {
    std::string_view method;  // "GET"... or "OTHER"; static storage
    std::string route;        // the template, or "<unmatched>"
    std::map<int, std::uint64_t> requests_by_status;
    HistogramCounts<kDurationBuckets.size()> duration_ns;
    HistogramCounts<kSizeBuckets.size()> size_bytes;
};

struct MetricsSnapshot {
    std::vector<RouteSeriesSnapshot> series;  // sorted by route, then method
    std::int64_t in_progress = 0;
};

class MetricsStore {
public:
    MetricsStore() = default;
    ~MetricsStore();
    MetricsStore(const MetricsStore&) = delete;
    MetricsStore& operator=(const MetricsStore&) = delete;

    // Creates the shards of engine threads [0, threads) up front (they are also made on first use).
    void prepare(unsigned threads);

    // One finished request. `route` may be null (unmatched) and is only read during the call.
    void record(unsigned thread, const Route* route, std::uint8_t method, int status, std::size_t bytes,
                std::chrono::nanoseconds latency);

    // The in-progress gauge of `thread`: +1 when a request enters, -1 when it is finished. The
    // decrement stops at zero, so a finish whose start was not seen (a request answered by a
    // middleware ranked before this one) cannot leave the gauge below zero for good.
    void enter(unsigned thread);
    void leave(unsigned thread);

    MetricsSnapshot snapshot() const;

    static constexpr std::size_t kMaxShards = 256;  // engine threads beyond this share shards

private:
    struct Shard;

    Shard& shard(unsigned thread);

    std::array<std::atomic<Shard*>, kMaxShards> shards_{};
};

}  // namespace cello::engine
