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

#include <chrono>
#include <memory>
#include <string>
#include <vector>

struct pg_conn;

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
    // for before flush() (Write: the send buffer is full) or read() (Read).
    Wait send(const std::string& sql, const std::vector<DbValue>& params);
    Wait flush();
    // After the socket was readable: true when the whole result is there (take() it), false to
    // wait for Read again. DbError Operational if the connection broke.
    bool read();
    // The result of the statement sent; DbError of the kind its SQLSTATE says.
    DbResult take(const std::string& sql);

    // Up, and not in the middle of anything: fit to go back to a pool.
    bool healthy() const;
    // Before reuse: an idle connection has nothing to say, so a readable socket means the server
    // closed it (restarted, backend terminated: it sends why, then EOF). Reads that, without waiting.
    bool still_alive();
    std::chrono::steady_clock::time_point opened() const { return opened_; }
    std::chrono::steady_clock::time_point last_used() const { return last_used_; }
    void touch() { last_used_ = std::chrono::steady_clock::now(); }
    int backend_pid() const;

private:
    struct Closer {
        void operator()(pg_conn* c) const noexcept;
    };
    std::unique_ptr<pg_conn, Closer> conn_;
    std::chrono::steady_clock::time_point opened_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_used_ = opened_;
    bool busy_ = false;  // a statement sent and its result not yet taken
};

// A SQLSTATE's kind: class 23 integrity; 42, 22, 26, 2B... programming; 08, 57, 53, 40... operational.
DbError::Kind kind_of_sqlstate(const std::string& sqlstate);

}  // namespace cello::engine::db
