// Database pools in /metrics: each pool (engine/db) owns a PoolMeter, which its connections share
// to count their statements; the exposition lists every pool still open in the process.
#pragma once

#include "engine/metrics/metrics_store.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
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

class PoolMeter {
public:
    // `connections` fills size, open, idle and in_use from the pool (under the pool's own lock).
    using Connections = std::function<void(PoolFigures&)>;

    // Registered for scrapes from now until detach() or destruction.
    static std::shared_ptr<PoolMeter> make(std::string label, Connections connections);
    ~PoolMeter();
    PoolMeter(const PoolMeter&) = delete;
    PoolMeter& operator=(const PoolMeter&) = delete;

    // Lock-free: any thread, per statement.
    void record_query(std::chrono::nanoseconds took, bool failed) noexcept;
    // A caller starts (+1) or stops (-1) waiting for a connection.
    void waiting(int delta) noexcept;

    // The pool is closing: scrapes no longer list it (its connections may still hold the meter).
    void detach();
    // Every attached pool of this process, in the order they were opened; pools with one label
    // (the same database) added up.
    static std::vector<PoolFigures> all();

private:
    PoolMeter(std::string label, Connections connections);
    bool figures(PoolFigures& out) const;

    std::string label_;
    mutable std::mutex mutex_;  // guards connections_ (cleared by detach)
    Connections connections_;
    std::array<std::atomic<std::uint64_t>, kDurationBuckets.size() + 1> counts_{};
    std::atomic<std::uint64_t> sum_ns_{0}, errors_{0};
    std::atomic<std::int64_t> waiters_{0};
};

// "postgresql://host:port/dbname" from a libpq URL or key=value string without its user and
// password (parsed by the caller); "sqlite:///path" for a file.
std::string pool_label(std::string_view backend, std::string_view where);

}  // namespace cello::engine
