// One PostgreSQL connection through libpq's asynchronous API: nothing here waits. The caller (the
// asyncio layer, cello/db.py) waits for the socket to be readable or writable on its engine thread's
// loop, which the engine's reactor drives; so a query holds no thread while the server works.
//
// Parameters go as text (the server infers their types from the statement, as it does for `$1` in
// psql), bytes as binary. Results come back as text and are turned into DbValues by type OID:
// integers, floats and booleans natively, bytea decoded, the rest as text with the type's name in
// DbResult::declared_types for the Python layer (numeric, timestamp, uuid, json...).
#pragma once

#include "engine/db/db_value.hpp"
#include "engine/thread_reactor.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

struct pg_conn;

namespace cello::engine {
class PoolMeter;  // engine/metrics/pool_meter.hpp
}

namespace cello::engine::db {

class PgConnection {
public:
    // Starts connecting (PQconnectStart): poll() until Ok. DbError Operational if libpq refuses
    // the conninfo outright.
    explicit PgConnection(const std::string& conninfo);
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    enum class Wait { Read, Write, None };  // what the caller waits for before calling again

    // Connecting: Read or Write until the connection is up (None); DbError Operational if it fails.
    Wait connect_poll();
    int socket() const;

    // A statement with its parameters (one statement; `$1`... placeholders). Returns what to wait
    // for before flush() (Write: the send buffer is full) or read() (Read). Each statement is
    // prepared once per connection (its first use costs one more round trip; the server then
    // skips parsing and planning it), up to kPreparedLimit distinct statements.
    Wait send(const std::string& sql, const std::vector<DbValue>& params);
    Wait flush();
    // After the socket was readable: None when the whole result is there (take() it), else what
    // to wait for next. DbError if the connection broke (or the statement failed to prepare).
    Wait read();
    static constexpr std::size_t kPreparedLimit = 256;
    // The result of the statement sent; DbError of the kind its SQLSTATE says.
    DbResult take(const std::string& sql);

    // Up, and not in the middle of anything: fit to go back to a pool.
    bool healthy() const;
    // Before reuse: an idle connection has nothing to say, so a readable socket means the server
    // closed it (restarted, backend terminated: it sends why, then EOF). Does not wait.
    bool still_alive();
    std::chrono::steady_clock::time_point opened() const { return opened_; }
    std::chrono::steady_clock::time_point last_used() const { return last_used_; }
    void touch() { last_used_ = std::chrono::steady_clock::now(); }
    int backend_pid() const;
    // Its statements are counted in a pool's figures (/metrics): time from send() to the result.
    void set_meter(std::shared_ptr<PoolMeter> meter) { meter_ = std::move(meter); }

    // The socket watched by the reactor of the engine thread using the connection now. Dropped
    // (unwatch(), on that thread) before the connection goes back to its pool: a watch must not
    // outlive its reactor, nor be touched from another thread.
    FdWatch& watch_on(ThreadReactor& reactor);
    void unwatch();

private:
    struct Closer {
        void operator()(pg_conn* c) const noexcept;
    };
    std::unique_ptr<pg_conn, Closer> conn_;
    std::chrono::steady_clock::time_point opened_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_used_ = opened_;
    // Parameters as libpq takes them, kept while a statement is being prepared.
    struct Params {
        std::vector<std::string> text;
        std::vector<const char*> values;
        std::vector<int> lengths, formats;
    };
    static Params encode(const std::vector<DbValue>& params);
    Wait send_prepared(const std::string& name);

    void metered(bool failed) noexcept;  // the statement sent is done (its time: since last_used_)

    bool busy_ = false;  // a statement sent and its result not yet taken
    std::shared_ptr<PoolMeter> meter_;
    std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name on the server
    std::string preparing_sql_, preparing_name_;            // set while a Prepare is in flight
    Params preparing_params_;
    ThreadReactor* watch_reactor_ = nullptr;
    std::unique_ptr<FdWatch> watch_;  // after conn_: destroyed first
};

// A SQLSTATE's kind: class 23 integrity; 42, 22, 26, 2B... programming; 08, 57, 53, 40... operational.
DbError::Kind kind_of_sqlstate(const std::string& sqlstate);

}  // namespace cello::engine::db
