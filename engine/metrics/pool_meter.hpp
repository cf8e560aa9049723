// Database pools in /metrics: each pool (engine/db) owns a PoolMeter, which its connections share
// to count their statements, and which it tells of its connections as they change. Its figures
// live in one row of integers: the process's own, or, in a cluster worker, the worker's row in the
// cluster's shared memory (engine/cluster/shared_pool_rows.hpp), so that any worker's /metrics
// shows the whole server's pools.
#pragma once

#include "engine/metrics/metrics_store.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cello::engine {

// One pool as a scrape sees it.
struct PoolFigures {
    std::string pool;     // its label: backend and where ("postgresql://host:5432/db"), never a password
    std::uint64_t size = 0, open = 0, idle = 0, in_use = 0, waiters = 0;
    HistogramCounts<kDurationBuckets.size()> query_ns;  // statement durations
    std::uint64_t query_errors = 0;
};

// A pool's row: gauges (kept as sums of signed deltas, so that pools of one label add up), then
// counters, then the duration histogram's buckets.
enum PoolInt : std::size_t { kPoolSize, kPoolOpen, kPoolIdle, kPoolWaiters, kPoolErrors, kPoolSumNs, kPoolBuckets };
inline constexpr std::size_t kPoolGauges = kPoolErrors;  // the first ones, zeroed when a process ends
inline constexpr std::size_t kPoolInts = kPoolBuckets + kDurationBuckets.size() + 1;

// Adds the row's figures into `f` (relaxed atomic reads).
void add_pool_row(PoolFigures& f, const std::uint64_t* row);

class PoolMeter {
public:
    // Counted for scrapes from now until detach() or destruction.
    static std::shared_ptr<PoolMeter> make(std::string label);
    ~PoolMeter();
    PoolMeter(const PoolMeter&) = delete;
    PoolMeter& operator=(const PoolMeter&) = delete;

    // The pool's connections now; called under the pool's lock whenever they change.
    void connections(std::size_t size, std::size_t open, std::size_t idle);
    // Lock-free: any thread, per statement.
    void record_query(std::chrono::nanoseconds took, bool failed) noexcept;
    // A caller starts (+1) or stops (-1) waiting for a connection.
    void waiting(int delta) noexcept;

    // The pool is closing: its connections and waiters leave the figures (its statements stay
    // counted). Its connections may still hold the meter.
    void detach();
    // Every pool of this process (in a cluster: of every process), one entry per label, in the
    // order they were opened.
    static std::vector<PoolFigures> all();
    // The process just joined a cluster (ClusterLink::join): pools it opened before (a worker that
    // re-imports its app) move their figures into its shared rows. Pools inherited from the parent
    // process across fork() stay out.
    static void joined_cluster();

private:
    explicit PoolMeter(std::string label);
    void add(std::size_t at, std::int64_t delta) noexcept;

    std::string label_;
    std::array<std::uint64_t, kPoolInts> local_{};
    std::atomic<std::uint64_t*> row_{local_.data()};
    long creator_;  // the process that made it (a fork() child inherits it, and must not count it)
    std::shared_ptr<const void> shared_;  // keeps a cluster's shared row mapped
    std::mutex mutex_;                    // guards the gauges below and detached_
    std::array<std::int64_t, 3> published_{};  // size, open, idle as last added to the row
    bool detached_ = false;
};

// "postgresql://host:port/dbname", "sqlite:///path": `backend`://`where`.
std::string pool_label(std::string_view backend, std::string_view where);

}  // namespace cello::engine
