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
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;
typedef struct pg_result PGresult;

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

    // Statements go in pipeline mode: each is queued with its own Sync (its own implicit
    // transaction, its error its own), so several may be in flight on one connection and their
    // results come back in order. A statement is prepared on first use (kPreparedLimit distinct
    // ones per connection) in the same round trip as its first execution.
    //
    // Queues a statement with its parameters (one statement; `$1`... placeholders). Returns what
    // to wait for: Write (the send buffer is full: flush() when writable) or Read.
    Wait send(const std::string& sql, const std::vector<DbValue>& params);
    Wait flush();
    // After the socket was readable: None when the oldest statement's result is complete (take()
    // it), else what to wait for next. A broken connection fails every statement in flight (each
    // take() then raises, in turn). `consume` false: only
    // what was already read (the next statement's result after a take()).
    Wait read(bool consume = true);
    static constexpr std::size_t kPreparedLimit = 256;
    // The oldest statement's result; DbError of the kind its SQLSTATE says.
    DbResult take();
    // Statements sent whose results were not taken yet.
    std::size_t in_flight() const { return in_flight_.size(); }
    // TCP_CORK while a burst of statements is queued (one packet for all of them instead of one
    // each; libpq pushes every Sync out at once). Off pushes what was held. No-op on a Unix socket.
    void cork(bool on);

    // Gone or out of step: every statement in flight has failed (take() each), none can be sent.
    bool lost() const;
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
    [[noreturn]] void send_failed(bool queued_part);

    // A statement sent: its results arrive in phases, [Prepare's,] Execute's, then its Sync.
    struct InFlight {
        enum class Phase { Prepare, Execute, Sync } phase;
        std::string sql;
        std::string preparing;  // the statement name its Prepare creates ("" when none)
        std::chrono::steady_clock::time_point sent;
        DbResult result;
        std::optional<DbError> error;
        bool done = false;
    };
    void absorb(InFlight& s, PGresult* r);  // one result of the oldest statement
    void fail_all(const std::string& why);  // the connection broke: every statement in flight fails
    void metered(const InFlight& s, bool failed) noexcept;

    std::deque<InFlight> in_flight_;
    std::shared_ptr<PoolMeter> meter_;
    struct Prepared {
        std::string name;
        bool confirmed = false;  // the server answered its Prepare
    };
    std::unordered_map<std::string, Prepared> prepared_;  // SQL -> statement on the server
    bool broken_ = false;  // out of step with the server (half a statement queued, a COPY): never reused
    unsigned next_statement_ = 0;  // names are never reused (a failed Prepare's is dropped)
    int tcp_ = -1;  // whether the socket is TCP (cork()): -1 not known yet, 0 no, 1 yes
    ThreadReactor* watch_reactor_ = nullptr;
    std::unique_ptr<FdWatch> watch_;  // after conn_: destroyed first
};

// A SQLSTATE's kind: class 23 integrity; 42, 22, 26, 2B... programming; 08, 57, 53, 40... operational.
DbError::Kind kind_of_sqlstate(const std::string& sqlstate);

}  // namespace cello::engine::db
