// A process's PostgreSQL connections: at most pool_size open, idle ones kept for reuse. It only
// keeps count and hands connections out; connecting and querying are asynchronous and driven by
// the caller's event loop (cello/db.py), so nothing here waits: a caller that gets nothing waits
// on its own loop and asks again.
#pragma once

#include "engine/db/pg_connection.hpp"
#include "engine/metrics/pool_meter.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cello::engine::db {

struct PgOptions {
    std::string conninfo;  // a postgresql:// URL or key=value string, as libpq takes it
    std::size_t pool_size = 10;
    std::size_t min_idle = 1;
    std::chrono::seconds max_lifetime{1800};  // older: closed when it comes back, not reused
    std::chrono::seconds idle_timeout{300};   // idle longer, beyond min_idle: closed by sweep()
};

class PgPool {
public:
    explicit PgPool(PgOptions options);
    ~PgPool();
    PgPool(const PgPool&) = delete;
    PgPool& operator=(const PgPool&) = delete;

    // An idle connection (expired ones, and those the server closed while they were idle, are
    // closed on the way), or null.
    std::unique_ptr<PgConnection> take_idle();
    // A slot for a connection the caller opens now: false when pool_size are open already.
    bool reserve();
    void unreserve();  // the connection of a reserve() could not be opened
    // Back from use: kept if healthy and young enough, else closed (its slot freed).
    void put(std::unique_ptr<PgConnection> c);
    // Fit to be used again right away, without going through the pool (handed from one task to
    // the next): up, idle, and not past max_lifetime.
    bool reusable(const PgConnection& c) const { return c.healthy() && !expired(c); }
    // A connection that failed in use (server restarted, backend killed): closed, slot freed.
    void discard(std::unique_ptr<PgConnection> c);
    // Closes idle connections past idle_timeout, keeping min_idle. Returns how many it closed.
    std::size_t sweep();

    struct Stats {
        std::size_t open = 0, idle = 0, in_use = 0;
    };
    Stats stats() const;
    const PgOptions& options() const { return options_; }
    // Its figures in /metrics; its connections (set_meter) count their statements there.
    const std::shared_ptr<PoolMeter>& meter() const { return meter_; }

private:
    bool expired(const PgConnection& c) const;
    void metered_locked();  // the meter told of open_ and idle_ (mutex_ held)

    PgOptions options_;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<PgConnection>> idle_;  // most recently used last
    std::size_t open_ = 0;                             // idle + in use + being opened
    std::shared_ptr<PoolMeter> meter_;
};

}  // namespace cello::engine::db
