// The embedded database: a pool of SQLite connections to one file, in WAL mode (readers never wait
// for the writer), writes serialised in the process by one writer lock. Statements run on the
// calling thread (the caller has released the GIL): SQLite is a library, there is no server to wait
// on. A connection is checked out for one statement, or for a whole transaction (Lease).
//
// ":memory:" is one database shared by the pool: the pool then holds a single connection (an
// in-memory database is private to its connection otherwise), so its statements take turns.
#pragma once

#include "engine/db/db_value.hpp"
#include "engine/metrics/pool_meter.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <semaphore>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace cello::engine::db {

struct SqliteOptions {
    std::string path;  // a file, or ":memory:"
    std::size_t pool_size = 10;
    std::chrono::milliseconds acquire_timeout{5000};  // a free connection, or the writer lock
    std::chrono::seconds max_lifetime{1800};         // an older connection is replaced when returned
};

class SqlitePool {
public:
    explicit SqlitePool(SqliteOptions options);  // opens one connection now: a bad path fails here
    ~SqlitePool();
    SqlitePool(const SqlitePool&) = delete;
    SqlitePool& operator=(const SqlitePool&) = delete;

    class Lease;
    // A connection, waiting up to acquire_timeout (DbError PoolTimeout after that); nullopt when
    // `wait` is false and none is free now.
    std::optional<Lease> acquire(bool wait = true);

    // One statement on a connection of its own: parameters bound ("?" placeholders), never spliced.
    DbResult execute(const std::string& sql, const std::vector<DbValue>& params);
    // The same statement once per parameter set, in one transaction; returns the rows affected.
    std::int64_t execute_many(const std::string& sql, const std::vector<std::vector<DbValue>>& param_sets);

    struct Stats {
        std::size_t open = 0, idle = 0, in_use = 0;
    };
    Stats stats() const;
    const SqliteOptions& options() const { return options_; }
    // Its figures in /metrics: connections, waiters and statements.
    const std::shared_ptr<PoolMeter>& meter() const { return meter_; }

private:
    struct Connection;
    void release(std::unique_ptr<Connection> c);
    std::unique_ptr<Connection> open_connection();
    void metered_locked();  // the meter told of open_ and idle_ (mutex_ held)

    SqliteOptions options_;
    bool memory_ = false;
    mutable std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_ = 0;
    // One writing statement or transaction at a time in this process. A semaphore, not a mutex: a
    // transaction's lease may be released on another thread than the one that began it.
    std::binary_semaphore writer_{1};
    std::shared_ptr<PoolMeter> meter_;
};

// A checked-out connection: statements, and transactions (nested ones are savepoints). Returned
// to the pool when destroyed; an open transaction is rolled back first.
class SqlitePool::Lease {
public:
    Lease(Lease&&) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();

    // `wait` false: a write that finds the writer lock taken throws DbError Busy at once instead of
    // waiting, so that an asyncio caller can wait without holding its engine thread (the lock may be
    // held by a transaction of another task on the same thread).
    DbResult execute(const std::string& sql, const std::vector<DbValue>& params, bool wait = true);
    // BEGIN IMMEDIATE (the writer lock taken now, not at the first write: no deadlock between two
    // readers that both want to write), or SAVEPOINT when one is open. Returns the depth.
    int begin(bool wait = true);
    void commit();    // the innermost level
    void rollback();  // the innermost level
    int depth() const { return depth_; }

private:
    friend class SqlitePool;
    Lease(SqlitePool& pool, std::unique_ptr<Connection> c);
    SqlitePool* pool_;
    std::unique_ptr<Connection> conn_;
    int depth_ = 0;
    bool holds_writer_ = false;
};

}  // namespace cello::engine::db
