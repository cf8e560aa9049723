#include "inspector/bench/bench_history.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace cello::inspector::bench {

namespace {

// Columns in one place so save(), list() and load() cannot drift apart.
constexpr const char* kColumns =
    "id, started_at, url, method, body, connections, threads, duration_s, rate, ceiling, app_file, git_commit, "
    "requests, elapsed_s, requests_per_sec, p50_ns, p90_ns, p99_ns, p999_ns, max_ns, mean_ns, err_connect, "
    "err_read, err_write, err_timeout, err_4xx, err_5xx, stopped_early, ceiling_rate, headers, paths, pipeline, "
    "timeout_s, max_p99_ms, http2";
constexpr int kColumnCount = 35;  // report_json comes after them

constexpr const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at TEXT NOT NULL,
  url TEXT NOT NULL, method TEXT NOT NULL, body TEXT NOT NULL,
  connections INTEGER NOT NULL, threads INTEGER NOT NULL, duration_s REAL NOT NULL, rate REAL NOT NULL,
  ceiling INTEGER NOT NULL,
  app_file TEXT NOT NULL, git_commit TEXT,
  requests INTEGER NOT NULL, elapsed_s REAL NOT NULL, requests_per_sec REAL NOT NULL,
  p50_ns INTEGER NOT NULL, p90_ns INTEGER NOT NULL, p99_ns INTEGER NOT NULL, p999_ns INTEGER NOT NULL,
  max_ns INTEGER NOT NULL, mean_ns REAL NOT NULL,
  err_connect INTEGER NOT NULL, err_read INTEGER NOT NULL, err_write INTEGER NOT NULL,
  err_timeout INTEGER NOT NULL, err_4xx INTEGER NOT NULL, err_5xx INTEGER NOT NULL,
  stopped_early INTEGER NOT NULL, ceiling_rate REAL NOT NULL,
  report_json TEXT NOT NULL,
  headers TEXT NOT NULL DEFAULT '', paths TEXT NOT NULL DEFAULT '', pipeline INTEGER NOT NULL DEFAULT 1,
  timeout_s REAL NOT NULL DEFAULT 0, max_p99_ms REAL NOT NULL DEFAULT 0, http2 INTEGER NOT NULL DEFAULT 0
);
)SQL";

// Schema 1 to 2: the form's later fields, with the values runs had before they existed.
constexpr const char* kUpgrade1To2 = R"SQL(
ALTER TABLE runs ADD COLUMN headers TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN paths TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN pipeline INTEGER NOT NULL DEFAULT 1;
ALTER TABLE runs ADD COLUMN timeout_s REAL NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN max_p99_ms REAL NOT NULL DEFAULT 0;
)SQL";

// Schema 2 to 3: runs before HTTP/2 were HTTP/1.1.
constexpr const char* kUpgrade2To3 = R"SQL(
ALTER TABLE runs ADD COLUMN http2 INTEGER NOT NULL DEFAULT 0;
)SQL";

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
    throw std::runtime_error(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

// A prepared statement, finalized on scope exit.
class Statement {
public:
    Statement(sqlite3* db, const std::string& sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail(db, "prepare");
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(stmt_, i, v)); }
    void bind(int i, double v) { check(sqlite3_bind_double(stmt_, i, v)); }
    void bind(int i, const std::string& v) {
        check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    }
    void bind_null(int i) { check(sqlite3_bind_null(stmt_, i)); }
    bool step() {  // true: a row is ready
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc != SQLITE_DONE) fail(db_, "step");
        return false;
    }
    std::int64_t i64(int c) const { return sqlite3_column_int64(stmt_, c); }
    double real(int c) const { return sqlite3_column_double(stmt_, c); }
    bool null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
    std::string text(int c) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))) : std::string();
    }

private:
    void check(int rc) {
        if (rc != SQLITE_OK) fail(db_, "bind");
    }
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

void exec(sqlite3* db, const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string why = message ? message : "unknown error";
        sqlite3_free(message);
        throw std::runtime_error(std::string("sqlite: ") + why);
    }
}

BenchRun read_run(const Statement& q) {
    BenchRun r;
    int c = 0;
    r.id = q.i64(c++);
    r.started_at = q.text(c++);
    r.settings.url = q.text(c++);
    r.settings.method = q.text(c++);
    r.settings.body = q.text(c++);
    r.settings.connections = static_cast<unsigned>(q.i64(c++));
    r.settings.threads = static_cast<unsigned>(q.i64(c++));
    r.settings.duration_s = q.real(c++);
    r.settings.rate = q.real(c++);
    r.settings.ceiling = q.i64(c++) != 0;
    r.app_file = q.text(c++);
    if (!q.null(c)) r.git_commit = q.text(c);
    ++c;
    auto& s = r.summary;
    s.requests = static_cast<std::uint64_t>(q.i64(c++));
    s.elapsed_s = q.real(c++);
    s.requests_per_sec = q.real(c++);
    s.p50_ns = q.i64(c++);
    s.p90_ns = q.i64(c++);
    s.p99_ns = q.i64(c++);
    s.p999_ns = q.i64(c++);
    s.max_ns = q.i64(c++);
    s.mean_ns = q.real(c++);
    for (auto* e : {&s.errors.connect, &s.errors.read, &s.errors.write, &s.errors.timeout, &s.errors.status_4xx,
                    &s.errors.status_5xx})
        *e = static_cast<std::uint64_t>(q.i64(c++));
    s.stopped_early = q.i64(c++) != 0;
    s.ceiling_rate = q.real(c++);
    r.settings.headers = q.text(c++);
    r.settings.paths = q.text(c++);
    r.settings.pipeline = static_cast<unsigned>(q.i64(c++));
    r.settings.timeout_s = q.real(c++);
    r.settings.max_p99_ms = q.real(c++);
    r.settings.http2 = q.i64(c++) != 0;
    return r;
}

}  // namespace

void BenchHistory::Closer::operator()(sqlite3* db) const noexcept { sqlite3_close(db); }

BenchHistory::BenchHistory(const std::string& path) : path_(path) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    db_.reset(raw);  // sqlite3_open_v2 allocates a handle even on failure: close it either way
    if (rc != SQLITE_OK) fail(raw, "cannot open " + path);
    sqlite3_busy_timeout(raw, 2000);  // a second studio saving at the same moment waits, not fails
    Statement version(raw, "PRAGMA user_version");
    version.step();
    const auto have = version.i64(0);
    if (have > kSchemaVersion)
        throw std::runtime_error(path + " was written by a newer studio (schema " + std::to_string(have) + ")");
    if (have < kSchemaVersion) {
        exec(raw, "BEGIN");
        try {
            if (have == 0) exec(raw, kSchema);
            if (have == 1) exec(raw, kUpgrade1To2);
            if (have == 1 || have == 2) exec(raw, kUpgrade2To3);
            exec(raw, ("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
            exec(raw, "COMMIT");
        } catch (...) {
            sqlite3_exec(raw, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    }
}

BenchHistory::~BenchHistory() = default;
BenchHistory::BenchHistory(BenchHistory&&) noexcept = default;
BenchHistory& BenchHistory::operator=(BenchHistory&&) noexcept = default;

std::int64_t BenchHistory::save(const BenchRun& run) {
    // Every column but id (SQLite assigns it), then report_json.
    std::string placeholders = "?";
    for (int i = 1; i < kColumnCount; ++i) placeholders += ", ?";
    const std::string columns = std::string(kColumns).substr(4);  // without "id, "
    Statement q(db_.get(), "INSERT INTO runs (" + columns + ", report_json) VALUES (" + placeholders + ")");
    const auto& st = run.settings;
    const auto& s = run.summary;
    int i = 1;
    q.bind(i++, run.started_at);
    q.bind(i++, st.url);
    q.bind(i++, st.method);
    q.bind(i++, st.body);
    q.bind(i++, std::int64_t{st.connections});
    q.bind(i++, std::int64_t{st.threads});
    q.bind(i++, st.duration_s);
    q.bind(i++, st.rate);
    q.bind(i++, std::int64_t{st.ceiling});
    q.bind(i++, run.app_file);
    if (run.git_commit) q.bind(i++, *run.git_commit);
    else q.bind_null(i++);
    q.bind(i++, static_cast<std::int64_t>(s.requests));
    q.bind(i++, s.elapsed_s);
    q.bind(i++, s.requests_per_sec);
    for (const std::int64_t ns : {s.p50_ns, s.p90_ns, s.p99_ns, s.p999_ns, s.max_ns}) q.bind(i++, ns);
    q.bind(i++, s.mean_ns);
    for (const auto n : {s.errors.connect, s.errors.read, s.errors.write, s.errors.timeout, s.errors.status_4xx,
                         s.errors.status_5xx})
        q.bind(i++, static_cast<std::int64_t>(n));
    q.bind(i++, std::int64_t{s.stopped_early});
    q.bind(i++, s.ceiling_rate);
    q.bind(i++, st.headers);
    q.bind(i++, st.paths);
    q.bind(i++, std::int64_t{st.pipeline});
    q.bind(i++, st.timeout_s);
    q.bind(i++, st.max_p99_ms);
    q.bind(i++, std::int64_t{st.http2});
    q.bind(i++, run.report_json);
    q.step();
    return sqlite3_last_insert_rowid(db_.get());
}

std::vector<BenchRun> BenchHistory::list() const {
    Statement q(db_.get(), std::string("SELECT ") + kColumns + " FROM runs ORDER BY id DESC");
    std::vector<BenchRun> runs;
    while (q.step()) runs.push_back(read_run(q));
    return runs;
}

std::optional<BenchRun> BenchHistory::load(std::int64_t id) const {
    Statement q(db_.get(), std::string("SELECT ") + kColumns + ", report_json FROM runs WHERE id = ?");
    q.bind(1, id);
    if (!q.step()) return std::nullopt;
    BenchRun r = read_run(q);
    r.report_json = q.text(kColumnCount);
    return r;
}

bool BenchHistory::remove(std::int64_t id) {
    Statement q(db_.get(), "DELETE FROM runs WHERE id = ?");
    q.bind(1, id);
    q.step();
    return sqlite3_changes(db_.get()) > 0;
}

}  // namespace cello::inspector::bench
