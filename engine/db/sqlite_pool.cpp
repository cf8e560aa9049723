#include "engine/db/sqlite_pool.hpp"

#include <sqlite3.h>

#include <unordered_map>

namespace cello::engine::db {

namespace {

using Clock = std::chrono::steady_clock;

std::string code_name(int extended) {
    switch (extended) {
        case SQLITE_CONSTRAINT_UNIQUE: return "SQLITE_CONSTRAINT_UNIQUE";
        case SQLITE_CONSTRAINT_PRIMARYKEY: return "SQLITE_CONSTRAINT_PRIMARYKEY";
        case SQLITE_CONSTRAINT_FOREIGNKEY: return "SQLITE_CONSTRAINT_FOREIGNKEY";
        case SQLITE_CONSTRAINT_NOTNULL: return "SQLITE_CONSTRAINT_NOTNULL";
        case SQLITE_CONSTRAINT_CHECK: return "SQLITE_CONSTRAINT_CHECK";
        case SQLITE_ERROR: return "SQLITE_ERROR";
        case SQLITE_BUSY: return "SQLITE_BUSY";
        case SQLITE_LOCKED: return "SQLITE_LOCKED";
        case SQLITE_READONLY: return "SQLITE_READONLY";
        case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
        case SQLITE_FULL: return "SQLITE_FULL";
        case SQLITE_RANGE: return "SQLITE_RANGE";
        case SQLITE_TOOBIG: return "SQLITE_TOOBIG";
        default: return "SQLITE_" + std::to_string(extended);
    }
}

[[noreturn]] void fail(sqlite3* db, int rc, const std::string& sql, bool preparing) {
    const int extended = db ? sqlite3_extended_errcode(db) : rc;
    const std::string message = (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) + std::string(" (in: ") + sql + ")";
    auto kind = DbError::Kind::Operational;
    if ((extended & 0xff) == SQLITE_CONSTRAINT) kind = DbError::Kind::Integrity;
    // A statement that does not compile (syntax, no such table or column) or misuses the API.
    else if (preparing || rc == SQLITE_RANGE || rc == SQLITE_MISUSE || rc == SQLITE_MISMATCH || rc == SQLITE_TOOBIG)
        kind = DbError::Kind::Programming;
    throw DbError(kind, code_name(extended), message);
}

// The writer lock of one statement or transaction: taken with a deadline, or not at all when the
// caller must not wait (the async layer then waits without holding its engine thread).
void take(std::binary_semaphore& writer, bool wait, std::chrono::milliseconds timeout) {
    if (!wait) {
        if (!writer.try_acquire()) throw DbError(DbError::Kind::Busy, "WRITER_BUSY", "the writer lock is taken");
        return;
    }
    if (!writer.try_acquire_for(timeout))
        throw DbError(DbError::Kind::PoolTimeout, "WRITER_TIMEOUT",
                      "the database's writer lock was not free after " + std::to_string(timeout.count()) + " ms");
}

}  // namespace

struct SqlitePool::Connection {
    sqlite3* db = nullptr;
    Clock::time_point opened = Clock::now();
    std::unordered_map<std::string, sqlite3_stmt*> statements;  // prepared once per connection

    ~Connection() {
        for (auto& [sql, stmt] : statements) sqlite3_finalize(stmt);
        sqlite3_close_v2(db);
    }

    sqlite3_stmt* prepare(const std::string& sql) {
        if (const auto it = statements.find(sql); it != statements.end()) {
            sqlite3_reset(it->second);
            sqlite3_clear_bindings(it->second);
            return it->second;
        }
        sqlite3_stmt* stmt = nullptr;
        const char* tail = nullptr;
        const int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size() + 1), SQLITE_PREPARE_PERSISTENT,
                                          &stmt, &tail);
        if (rc != SQLITE_OK) fail(db, rc, sql, true);
        if (!stmt) throw DbError(DbError::Kind::Programming, "SQLITE_EMPTY", "an empty statement: " + sql);
        for (; tail && *tail; ++tail)
            if (*tail != ' ' && *tail != '\n' && *tail != '\t' && *tail != '\r' && *tail != ';') {
                sqlite3_finalize(stmt);
                throw DbError(DbError::Kind::Programming, "SQLITE_MISUSE",
                              "one statement at a time (execute_many repeats one with many parameter sets): " + sql);
            }
        if (statements.size() >= 256) {  // an app that builds SQL strings: do not keep them all
            for (auto& [old, s] : statements) sqlite3_finalize(s);
            statements.clear();
        }
        statements.emplace(sql, stmt);
        return stmt;
    }

    void bind(sqlite3_stmt* stmt, const std::string& sql, const std::vector<DbValue>& params) {
        const int expected = sqlite3_bind_parameter_count(stmt);
        if (expected != static_cast<int>(params.size()))
            throw DbError(DbError::Kind::Programming, "SQLITE_RANGE",
                          "the statement takes " + std::to_string(expected) + " parameters, " +
                              std::to_string(params.size()) + " given: " + sql);
        for (int i = 0; i < expected; ++i) {
            const DbValue& v = params[static_cast<std::size_t>(i)];
            int rc = SQLITE_OK;
            if (std::holds_alternative<std::monostate>(v)) rc = sqlite3_bind_null(stmt, i + 1);
            else if (const auto* n = std::get_if<std::int64_t>(&v)) rc = sqlite3_bind_int64(stmt, i + 1, *n);
            else if (const auto* d = std::get_if<double>(&v)) rc = sqlite3_bind_double(stmt, i + 1, *d);
            else if (const auto* s = std::get_if<std::string>(&v))
                rc = sqlite3_bind_text64(stmt, i + 1, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
            else {
                const auto& b = std::get<Blob>(v).bytes;
                rc = sqlite3_bind_blob64(stmt, i + 1, b.data(), b.size(), SQLITE_STATIC);
            }
            if (rc != SQLITE_OK) fail(db, rc, sql, false);
        }
    }

    DbResult run(sqlite3_stmt* stmt, const std::string& sql) {
        DbResult out;
        const int columns = sqlite3_column_count(stmt);
        for (int c = 0; c < columns; ++c) {
            out.columns.emplace_back(sqlite3_column_name(stmt, c));
            const char* declared = sqlite3_column_decltype(stmt, c);
            out.declared_types.emplace_back(declared ? declared : "");
        }
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            auto& row = out.rows.emplace_back();
            row.reserve(static_cast<std::size_t>(columns));
            for (int c = 0; c < columns; ++c) {
                switch (sqlite3_column_type(stmt, c)) {
                    case SQLITE_INTEGER: row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c))); break;
                    case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(stmt, c)); break;
                    case SQLITE_TEXT:
                        row.emplace_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                                                     static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
                        break;
                    case SQLITE_BLOB: {
                        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
                        row.emplace_back(Blob{std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)))});
                        break;
                    }
                    default: row.emplace_back(std::monostate{});
                }
            }
        }
        if (rc != SQLITE_DONE) {
            sqlite3_reset(stmt);
            fail(db, rc, sql, false);
        }
        if (!sqlite3_stmt_readonly(stmt)) {
            out.rows_affected = sqlite3_changes64(db);
            out.last_insert_id = sqlite3_last_insert_rowid(db);
        }
        sqlite3_reset(stmt);
        return out;
    }

    void exec(const char* sql) {
        char* message = nullptr;
        if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
            sqlite3_free(message);  // sqlite3_errmsg says the same
            fail(db, sqlite3_errcode(db), sql, false);
        }
    }
};

SqlitePool::SqlitePool(SqliteOptions options) : options_(std::move(options)) {
    memory_ = options_.path == ":memory:";
    if (options_.pool_size == 0) options_.pool_size = 1;
    if (memory_) options_.pool_size = 1;  // one in-memory database: one connection holds it
    idle_.push_back(open_connection());
    open_ = 1;
    meter_ = PoolMeter::make(pool_label("sqlite", "/" + options_.path));
    meter_->connections(options_.pool_size, open_, idle_.size());
}

void SqlitePool::metered_locked() { meter_->connections(options_.pool_size, open_, idle_.size()); }

SqlitePool::~SqlitePool() { meter_->detach(); }

std::unique_ptr<SqlitePool::Connection> SqlitePool::open_connection() {
    auto c = std::make_unique<Connection>();
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(options_.path.c_str(), &c->db, flags, nullptr);
    if (rc != SQLITE_OK) fail(c->db, rc, "open " + options_.path, false);
    sqlite3_extended_result_codes(c->db, 1);
    // Another process writing the same file (cluster workers): wait for it as long as for a connection.
    sqlite3_busy_timeout(c->db, static_cast<int>(options_.acquire_timeout.count()));
    if (!memory_) c->exec("PRAGMA journal_mode=WAL");  // readers never wait for the writer
    c->exec("PRAGMA synchronous=NORMAL");  // WAL's recommended level: durable at each checkpoint
    c->exec("PRAGMA foreign_keys=ON");
    return c;
}

std::optional<SqlitePool::Lease> SqlitePool::acquire(bool wait) {
    std::unique_lock lock(mutex_);
    const auto deadline = Clock::now() + options_.acquire_timeout;
    while (idle_.empty() && open_ >= options_.pool_size) {
        if (!wait) return std::nullopt;
        meter_->waiting(1);  // seen in /metrics while it waits
        struct Waited {
            PoolMeter& meter;
            ~Waited() { meter.waiting(-1); }
        } waited{*meter_};
        if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= options_.pool_size)
            throw DbError(DbError::Kind::PoolTimeout, "POOL_TIMEOUT",
                          "no database connection free after " + std::to_string(options_.acquire_timeout.count()) +
                              " ms (pool_size " + std::to_string(options_.pool_size) + ")");
    }
    if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        metered_locked();
        return Lease(*this, std::move(c));
    }
    ++open_;  // a new connection, opened outside the lock
    metered_locked();
    lock.unlock();
    try {
        return Lease(*this, open_connection());
    } catch (...) {
        std::lock_guard again(mutex_);
        --open_;
        metered_locked();
        freed_.notify_one();
        throw;
    }
}

void SqlitePool::release(std::unique_ptr<Connection> c) {
    // Past its lifetime (a file replaced under it, memory the connection grew): closed, reopened on demand.
    const bool expired = !memory_ && Clock::now() - c->opened > options_.max_lifetime;
    std::lock_guard lock(mutex_);
    if (expired) {
        --open_;
        c.reset();
    } else {
        idle_.push_back(std::move(c));
    }
    metered_locked();
    freed_.notify_one();
}

DbResult SqlitePool::execute(const std::string& sql, const std::vector<DbValue>& params) {
    auto lease = acquire();
    return lease->execute(sql, params);
}

std::int64_t SqlitePool::execute_many(const std::string& sql, const std::vector<std::vector<DbValue>>& param_sets) {
    auto lease = acquire();
    lease->begin();
    std::int64_t affected = 0;
    for (const auto& params : param_sets) affected += lease->execute(sql, params).rows_affected;
    lease->commit();
    return affected;
}

SqlitePool::Stats SqlitePool::stats() const {
    std::lock_guard lock(mutex_);
    return {open_, idle_.size(), open_ - idle_.size()};
}

SqlitePool::Lease::Lease(SqlitePool& pool, std::unique_ptr<Connection> c) : pool_(&pool), conn_(std::move(c)) {}

SqlitePool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)), depth_(other.depth_), holds_writer_(other.holds_writer_) {
    other.depth_ = 0;
    other.holds_writer_ = false;
}

SqlitePool::Lease::~Lease() {
    if (!conn_) return;
    if (depth_ > 0) {  // abandoned mid-transaction (an exception, a cancelled task): undone
        sqlite3_exec(conn_->db, "ROLLBACK", nullptr, nullptr, nullptr);
        depth_ = 0;
    }
    if (holds_writer_) pool_->writer_.release();
    pool_->release(std::move(conn_));
}

DbResult SqlitePool::Lease::execute(const std::string& sql, const std::vector<DbValue>& params, bool wait) {
    // Counted in the pool's meter: preparing and running, failures included; not the wait for the
    // writer lock (nor a Busy answer to a caller that would not wait).
    using Clock = std::chrono::steady_clock;
    auto start = Clock::now();
    std::chrono::nanoseconds before_wait{0};
    const auto counted = [&](bool failed) { pool_->meter_->record_query(before_wait + (Clock::now() - start), failed); };
    sqlite3_stmt* stmt = nullptr;
    try {
        stmt = conn_->prepare(sql);
        conn_->bind(stmt, sql, params);
    } catch (...) {
        counted(true);
        throw;
    }
    // A write outside a transaction takes the process's writer lock for its own duration.
    const bool own_write = !holds_writer_ && !sqlite3_stmt_readonly(stmt);
    if (own_write) {
        before_wait = Clock::now() - start;
        take(pool_->writer_, wait, pool_->options_.acquire_timeout);
        start = Clock::now();
    }
    struct Release {
        std::binary_semaphore* writer;
        ~Release() {
            if (writer) writer->release();
        }
    } release{own_write ? &pool_->writer_ : nullptr};
    try {
        DbResult r = conn_->run(stmt, sql);
        counted(false);
        return r;
    } catch (...) {
        counted(true);
        throw;
    }
}

int SqlitePool::Lease::begin(bool wait) {
    if (depth_ == 0) {
        take(pool_->writer_, wait, pool_->options_.acquire_timeout);
        holds_writer_ = true;
        try {
            conn_->exec("BEGIN IMMEDIATE");
        } catch (...) {
            pool_->writer_.release();
            holds_writer_ = false;
            throw;
        }
    } else {
        conn_->exec(("SAVEPOINT cello_" + std::to_string(depth_)).c_str());
    }
    return ++depth_;
}

void SqlitePool::Lease::commit() {
    if (depth_ == 0) throw DbError(DbError::Kind::Programming, "NO_TRANSACTION", "commit without a transaction");
    if (depth_ == 1) {
        conn_->exec("COMMIT");
        depth_ = 0;
        pool_->writer_.release();
        holds_writer_ = false;
    } else {
        conn_->exec(("RELEASE SAVEPOINT cello_" + std::to_string(--depth_)).c_str());
    }
}

void SqlitePool::Lease::rollback() {
    if (depth_ == 0) throw DbError(DbError::Kind::Programming, "NO_TRANSACTION", "rollback without a transaction");
    if (depth_ == 1) {
        depth_ = 0;
        conn_->exec("ROLLBACK");
        pool_->writer_.release();
        holds_writer_ = false;
    } else {
        --depth_;
        conn_->exec(("ROLLBACK TO SAVEPOINT cello_" + std::to_string(depth_)).c_str());
        conn_->exec(("RELEASE SAVEPOINT cello_" + std::to_string(depth_)).c_str());
    }
}

}  // namespace cello::engine::db
