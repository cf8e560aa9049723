// Per-route aggregates fed with RequestEvents: a whole-run latency histogram, a rolling window
// (default: the last 60 s, as 60 one-second histograms in a ring, merged on read), request and
// error counts, cache outcomes and bytes.
//
// Memory is bounded: `max_routes` slots indexed by Route::id plus one "<unmatched>" slot that
// takes unmatched requests and any route id >= max_routes. Nothing is ever keyed by a raw path.
// A slot's histograms are allocated on its first event, so idle routes cost a few hundred bytes;
// the worst case is worst_case_bytes(). Not thread-safe: owned by the inspector thread.
#pragma once

#include "inspector/event.hpp"
#include "inspector/latency_histogram.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace cello::inspector {

// A request that runs one statement this many times or more is flagged as N+1 queries (a loop
// that queries per item instead of once for all: the common ORM trap).
inline constexpr std::uint32_t kNPlusOneRepeats = 5;

struct RouteStatsConfig {
    std::uint32_t max_routes = 256;   // route ids 0..max_routes-1 get their own slot
    unsigned window_seconds = 60;     // rolling window length, in one-second slots
};

struct WindowStats {
    std::uint64_t count = 0;
    std::uint64_t errors_5xx = 0;     // status >= 500
    std::uint64_t errors_4xx = 0;     // 400 <= status < 500
    std::int64_t p50_ns = 0, p90_ns = 0, p99_ns = 0, max_ns = 0;
};

struct RouteSnapshot {
    std::uint32_t route_id = kUnmatchedRoute;  // kUnmatchedRoute for the "<unmatched>" slot
    WindowStats total;                 // since start (or reset)
    WindowStats window;                // the last window_seconds seconds before `now`
    // Whole run:
    std::uint64_t cache_hits = 0, cache_misses = 0, cache_bypass = 0;
    double hit_ratio = 0;              // hits / (hits + misses); 0 when neither
    std::uint64_t bytes_in = 0, bytes_out = 0;
    // Database queries, from the handlers' traces (whole run):
    std::uint64_t db_queries = 0, db_requests = 0;  // queries; requests that ran any
    std::int64_t db_ns = 0;                          // their time
    std::uint32_t max_repeats = 0;                   // most runs of one statement in one request
    std::uint64_t n_plus_one = 0;                    // requests with max_repeats >= kNPlusOneRepeats
};

class RouteStats {
public:
    explicit RouteStats(RouteStatsConfig config = {});
    ~RouteStats();
    RouteStats(const RouteStats&) = delete;
    RouteStats& operator=(const RouteStats&) = delete;

    void record(const RequestEvent& e);
    // `route_id` >= max_routes (or kUnmatchedRoute) reads the "<unmatched>" slot.
    // `now_ns`: wall clock, ns since the epoch; the window covers seconds (now-window, now].
    RouteSnapshot snapshot(std::uint32_t route_id, std::int64_t now_ns) const;
    RouteSnapshot unmatched_snapshot(std::int64_t now_ns) const { return snapshot(kUnmatchedRoute, now_ns); }
    // Ids of the slots that have seen at least one event (the unmatched slot as kUnmatchedRoute).
    std::vector<std::uint32_t> active_routes() const;
    // The whole-run histogram of a slot; null before its first event.
    const LatencyHistogram* total_histogram(std::uint32_t route_id) const noexcept;
    void reset();

    const RouteStatsConfig& config() const noexcept { return config_; }
    std::size_t slot_count() const noexcept { return slots_.size(); }  // max_routes + 1, fixed
    std::size_t allocated_slots() const noexcept;                      // slots with histograms
    std::size_t worst_case_bytes() const noexcept;                     // every slot allocated

private:
    struct Second;
    struct Slot;
    std::size_t slot_index(std::uint32_t route_id) const noexcept;

    RouteStatsConfig config_;
    std::vector<std::unique_ptr<Slot>> slots_;  // size max_routes + 1, never grows
};

}  // namespace cello::inspector
