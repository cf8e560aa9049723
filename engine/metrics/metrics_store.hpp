// Request metrics kept per engine thread: counters and histograms by (method, route, status),
// and the in-progress gauge. Each engine thread writes only its own shard: the shard's lock is
// contended only while a scrape copies that shard, never by another engine thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
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

inline constexpr std::string_view kUnmatchedRouteLabel = "<unmatched>";

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

// Label of a method code: "GET"... or "OTHER" for one outside the table; static storage.
std::string_view metric_method_label(std::uint8_t method) noexcept;
// Bucket of a duration (ns) or a size (bytes) in HistogramCounts (le: value <= bound).
std::size_t duration_bucket(std::uint64_t ns) noexcept;
std::size_t size_bucket(std::uint64_t bytes) noexcept;

// A per-thread index key: a route's address is only a shortcut to its label. Addresses may be
// reused after a route table swap, so every hit is checked against the label it stands for.
struct RouteStatusKey {
    const Route* route;
    std::uint8_t method;
    int status;
    bool operator==(const RouteStatusKey&) const = default;
};
struct RouteStatusHash {
    std::size_t operator()(const RouteStatusKey& k) const noexcept {
        const auto mix = (static_cast<std::uint64_t>(k.method) << 32) | static_cast<std::uint32_t>(k.status);
        return std::hash<const void*>{}(k.route) ^ static_cast<std::size_t>(mix * 0x9E3779B97F4A7C15ULL);
    }
};

// What the metrics middleware records into: a MetricsStore in one process, the cluster's
// SharedMetricsStore (engine/cluster) when worker processes must add up to one server.
class RequestMetrics {
public:
    virtual ~RequestMetrics() = default;
    // Makes room for engine threads [0, threads) up front.
    virtual void prepare(unsigned threads) = 0;
    // One finished request. `route` may be null (unmatched) and is only read during the call.
    virtual void record(unsigned thread, const Route* route, std::uint8_t method, int status, std::size_t bytes,
                        std::chrono::nanoseconds latency) = 0;
    // The in-progress gauge of `thread`: +1 when a request enters, -1 when it is finished. The
    // decrement stops at zero, so a finish whose start was not seen (a request answered by a
    // middleware ranked before this one) cannot leave the gauge below zero for good.
    virtual void enter(unsigned thread) = 0;
    virtual void leave(unsigned thread) = 0;
    virtual MetricsSnapshot snapshot() const = 0;
};

class MetricsStore final : public RequestMetrics {
public:
    MetricsStore() = default;
    ~MetricsStore() override;
    MetricsStore(const MetricsStore&) = delete;
    MetricsStore& operator=(const MetricsStore&) = delete;

    // Shards are also made on first use.
    void prepare(unsigned threads) override;
    void record(unsigned thread, const Route* route, std::uint8_t method, int status, std::size_t bytes,
                std::chrono::nanoseconds latency) override;
    void enter(unsigned thread) override;
    void leave(unsigned thread) override;
    MetricsSnapshot snapshot() const override;

    static constexpr std::size_t kMaxShards = 256;  // engine threads beyond this share shards

private:
    struct Shard;

    Shard& shard(unsigned thread);

    std::array<std::atomic<Shard*>, kMaxShards> shards_{};
};

}  // namespace cello::engine
