// The Benchmark page's computing half: the SQLite history on a real file in a temp dir (round
// trip, schema created once, reopened), route URLs with parameters filled, comparison rows, and
// the JSON/CSV export.
#include "inspector/bench/bench_export.hpp"
#include "inspector/bench/bench_history.hpp"
#include "inspector/bench/bench_run.hpp"
#include "inspector/bench/route_url.hpp"
#include "inspector/loadgen/report.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <filesystem>
#include <random>

using namespace cello::inspector::bench;
namespace fs = std::filesystem;

namespace {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = fs::temp_directory_path() / ("cello-bench-test-" + std::to_string(rd()));
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

BenchRun sample_run(double rps, std::optional<std::string> commit = "0123456789abcdef0123456789abcdef01234567") {
    BenchRun r;
    r.started_at = "2024-05-01T12:00:00Z";
    r.settings.url = "http://127.0.0.1:8000/users/1";
    r.settings.method = "POST";
    r.settings.body = "{\"a\": 1}";
    r.settings.connections = 16;
    r.settings.threads = 2;
    r.settings.duration_s = 2.5;
    r.settings.rate = 1000;
    r.settings.headers = "X-Bench: 1; Accept: application/json";
    r.settings.paths = "/users/1:3 /users/2";
    r.settings.pipeline = 4;
    r.settings.timeout_s = 2.5;
    r.app_file = "/srv/site/app.py";
    r.git_commit = std::move(commit);
    auto& s = r.summary;
    s.requests = 2500;
    s.elapsed_s = 2.5;
    s.requests_per_sec = rps;
    s.p50_ns = 250'000;
    s.p90_ns = 400'000;
    s.p99_ns = 1'200'000;
    s.p999_ns = 3'000'000;
    s.max_ns = 5'000'000;
    s.mean_ns = 300'000.5;
    s.errors.connect = 1;
    s.errors.read = 2;
    s.errors.write = 3;
    s.errors.timeout = 4;
    s.errors.status_4xx = 5;
    s.errors.status_5xx = 6;
    s.stopped_early = true;
    r.report_json = R"({"histogram": {"count": 2500, "buckets": [{"lower_ns": 249856, "width_ns": 4096, "count": 2500}]}})";
    return r;
}

int table_count(const std::string& path) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'runs'", -1,
                                 &q, nullptr),
              SQLITE_OK);
    EXPECT_EQ(sqlite3_step(q), SQLITE_ROW);
    const int n = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

}  // namespace

TEST(BenchHistory, SaveListLoadRemoveRoundTrip) {
    TempDir dir;
    BenchHistory h(dir.file("history.sqlite3"));
    EXPECT_TRUE(h.list().empty());
    const BenchRun in = sample_run(1000.5);
    const auto id = h.save(in);
    EXPECT_GT(id, 0);
    const auto id2 = h.save(sample_run(2000, std::nullopt));
    EXPECT_GT(id2, id);

    const auto runs = h.list();
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].id, id2);  // newest first
    EXPECT_EQ(runs[1].id, id);
    EXPECT_FALSE(runs[0].git_commit.has_value());
    EXPECT_TRUE(runs[1].report_json.empty());  // list() leaves the report out

    const auto out = h.load(id);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->id, id);
    EXPECT_EQ(out->started_at, in.started_at);
    EXPECT_EQ(out->settings.url, in.settings.url);
    EXPECT_EQ(out->settings.method, "POST");
    EXPECT_EQ(out->settings.body, in.settings.body);
    EXPECT_EQ(out->settings.connections, 16u);
    EXPECT_EQ(out->settings.threads, 2u);
    EXPECT_DOUBLE_EQ(out->settings.duration_s, 2.5);
    EXPECT_DOUBLE_EQ(out->settings.rate, 1000);
    EXPECT_FALSE(out->settings.ceiling);
    EXPECT_EQ(out->settings.headers, in.settings.headers);
    EXPECT_EQ(out->settings.paths, in.settings.paths);
    EXPECT_EQ(out->settings.pipeline, 4u);
    EXPECT_DOUBLE_EQ(out->settings.timeout_s, 2.5);
    EXPECT_DOUBLE_EQ(out->settings.max_p99_ms, 0);
    EXPECT_FALSE(out->settings.http2);
    EXPECT_EQ(out->app_file, in.app_file);
    EXPECT_EQ(out->git_commit, in.git_commit);
    EXPECT_EQ(out->summary.requests, 2500u);
    EXPECT_DOUBLE_EQ(out->summary.requests_per_sec, 1000.5);
    EXPECT_EQ(out->summary.p50_ns, 250'000);
    EXPECT_EQ(out->summary.p90_ns, 400'000);
    EXPECT_EQ(out->summary.p99_ns, 1'200'000);
    EXPECT_EQ(out->summary.p999_ns, 3'000'000);
    EXPECT_EQ(out->summary.max_ns, 5'000'000);
    EXPECT_DOUBLE_EQ(out->summary.mean_ns, 300'000.5);
    EXPECT_EQ(out->summary.errors, in.summary.errors);
    EXPECT_TRUE(out->summary.stopped_early);
    EXPECT_EQ(out->report_json, in.report_json);

    EXPECT_FALSE(h.load(id + 100));
    EXPECT_TRUE(h.remove(id));
    EXPECT_FALSE(h.remove(id));
    EXPECT_FALSE(h.load(id));
    ASSERT_EQ(h.list().size(), 1u);
    EXPECT_EQ(h.list()[0].id, id2);
}

TEST(BenchHistory, SchemaIsCreatedOnceAndRunsSurviveReopening) {
    TempDir dir;
    const auto path = dir.file("history.sqlite3");
    std::int64_t id = 0;
    {
        BenchHistory h(path);
        id = h.save(sample_run(10));
    }
    EXPECT_EQ(table_count(path), 1);
    {
        BenchHistory again(path);  // opening an existing history neither fails nor wipes it
        ASSERT_EQ(again.list().size(), 1u);
        EXPECT_EQ(again.list()[0].id, id);
        EXPECT_GT(again.save(sample_run(20)), id);
    }
    EXPECT_EQ(table_count(path), 1);
    EXPECT_EQ(BenchHistory(path).list().size(), 2u);
}

// A history written before the form had headers, paths, pipelining, a timeout and a max p99
// (schema 1): opened, its runs read with those fields at the values they had, and new runs keep them.
TEST(BenchHistory, ASchemaOneHistoryIsUpgradedInPlace) {
    TempDir dir;
    const auto path = dir.file("history.sqlite3");
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
        const char* v1 = R"SQL(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, url TEXT NOT NULL, method TEXT NOT NULL,
  body TEXT NOT NULL, connections INTEGER NOT NULL, threads INTEGER NOT NULL, duration_s REAL NOT NULL,
  rate REAL NOT NULL, ceiling INTEGER NOT NULL, app_file TEXT NOT NULL, git_commit TEXT,
  requests INTEGER NOT NULL, elapsed_s REAL NOT NULL, requests_per_sec REAL NOT NULL, p50_ns INTEGER NOT NULL,
  p90_ns INTEGER NOT NULL, p99_ns INTEGER NOT NULL, p999_ns INTEGER NOT NULL, max_ns INTEGER NOT NULL,
  mean_ns REAL NOT NULL, err_connect INTEGER NOT NULL, err_read INTEGER NOT NULL, err_write INTEGER NOT NULL,
  err_timeout INTEGER NOT NULL, err_4xx INTEGER NOT NULL, err_5xx INTEGER NOT NULL, stopped_early INTEGER NOT NULL,
  ceiling_rate REAL NOT NULL, report_json TEXT NOT NULL);
INSERT INTO runs VALUES (7, '2024-05-01T12:00:00Z', 'http://127.0.0.1:8000/', 'GET', '', 10, 1, 5, 0, 0, '', NULL,
  5000, 5, 1000, 1, 2, 3, 4, 5, 2.5, 0, 0, 0, 0, 0, 0, 0, 0, '{}');
PRAGMA user_version = 1;
)SQL";
        ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        sqlite3_close(db);
    }
    BenchHistory h(path);
    const auto old = h.load(7);
    ASSERT_TRUE(old);
    EXPECT_EQ(old->summary.requests, 5000u);
    EXPECT_EQ(old->report_json, "{}");
    EXPECT_EQ(old->settings.headers, "");
    EXPECT_EQ(old->settings.pipeline, 1u);
    EXPECT_DOUBLE_EQ(old->settings.timeout_s, 0);
    EXPECT_FALSE(old->settings.http2);
    auto run = sample_run(10);
    run.settings.http2 = true;
    const auto id = h.save(run);
    EXPECT_EQ(BenchHistory(path).load(id)->settings.paths, "/users/1:3 /users/2");
    EXPECT_TRUE(BenchHistory(path).load(id)->settings.http2);
    EXPECT_EQ(table_count(path), 1);
}

// Schema 2 (before HTTP/2 runs): its runs read as HTTP/1.1, and the file is at schema 3 after.
TEST(BenchHistory, ASchemaTwoHistoryGainsTheProtocol) {
    TempDir dir;
    const auto path = dir.file("history.sqlite3");
    std::int64_t id = 0;
    {
        BenchHistory h(path);
        id = h.save(sample_run(10));
    }
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
        // What schema 2 was: the same table without the http2 column.
        ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE runs DROP COLUMN http2; PRAGMA user_version = 2;", nullptr, nullptr,
                               nullptr),
                  SQLITE_OK)
            << sqlite3_errmsg(db);
        sqlite3_close(db);
    }
    BenchHistory h(path);
    ASSERT_TRUE(h.load(id));
    EXPECT_FALSE(h.load(id)->settings.http2);
    EXPECT_EQ(h.load(id)->settings.pipeline, 4u);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(q, 0), BenchHistory::kSchemaVersion);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

TEST(BenchHistory, UnopenableFileThrows) {
    TempDir dir;
    EXPECT_THROW(BenchHistory(dir.file("no/such/dir/history.sqlite3")), std::runtime_error);
}

TEST(BenchRouteUrl, FillsPathParameters) {
    EXPECT_EQ(fill_path_params("/"), "/");
    EXPECT_EQ(fill_path_params("/users/{id}"), "/users/1");
    EXPECT_EQ(fill_path_params("/users/{id:int}"), "/users/1");
    EXPECT_EQ(fill_path_params("/users/{name:str}/posts/{n:int}"), "/users/1/posts/1");
    EXPECT_EQ(fill_path_params("/files/{p:path}"), "/files/x");
    EXPECT_EQ(fill_path_params("/static/{*rest}"), "/static/x");
    EXPECT_EQ(fill_path_params("/broken/{id"), "/broken/{id");
}

TEST(BenchRouteUrl, BuildsReachableUrls) {
    EXPECT_EQ(bench_url("127.0.0.1", 8000, "/users/1"), "http://127.0.0.1:8000/users/1");
    EXPECT_EQ(bench_url("0.0.0.0", 9000, "/"), "http://127.0.0.1:9000/");
    EXPECT_EQ(bench_url("", 80, ""), "http://127.0.0.1:80/");
    EXPECT_EQ(bench_url("::", 8000, "/a"), "http://[::1]:8000/a");
    EXPECT_EQ(bench_url("::1", 8000, "a"), "http://[::1]:8000/a");
    EXPECT_EQ(bench_url("localhost", 8000, "/x"), "http://localhost:8000/x");
}

TEST(BenchCompare, RowsHoldBothValuesAndTheRatio) {
    BenchRun a = sample_run(1000);
    BenchRun b = sample_run(1500);
    b.summary.p99_ns = 600'000;
    const auto rows = compare(a, b);
    ASSERT_FALSE(rows.empty());
    EXPECT_EQ(rows[0].label, "req/s");
    EXPECT_EQ(rows[0].a, "1000.0");
    EXPECT_EQ(rows[0].b, "1500.0");
    EXPECT_DOUBLE_EQ(rows[0].ratio, 1.5);
    EXPECT_TRUE(rows[0].higher_is_better);
    bool saw_p99 = false, saw_commit = false;
    for (const auto& r : rows) {
        if (r.label == "p99") {
            saw_p99 = true;
            EXPECT_EQ(r.a, "1.20ms");
            EXPECT_EQ(r.b, "600.00us");
            EXPECT_DOUBLE_EQ(r.ratio, 0.5);
            EXPECT_FALSE(r.higher_is_better);
        }
        if (r.label == "git commit") {
            saw_commit = true;
            EXPECT_TRUE(r.setting);
        }
    }
    EXPECT_TRUE(saw_p99);
    EXPECT_TRUE(saw_commit);
    const auto text = summary_text(a);
    EXPECT_NE(text.find("Requests/sec: 1000.0"), std::string::npos) << text;
    EXPECT_NE(text.find("p99.9 3.00ms"), std::string::npos) << text;
    EXPECT_NE(text.find("5xx 6"), std::string::npos) << text;
    EXPECT_NE(text.find("Paths: /users/1:3 /users/2"), std::string::npos) << text;
    EXPECT_NE(text.find("Pipelined 4 per connection"), std::string::npos) << text;
    // The form's later fields are compared when a run used them.
    b.settings.pipeline = 1;
    bool saw_pipeline = false;
    for (const auto& r : compare(a, b))
        if (r.label == "pipeline") {
            saw_pipeline = true;
            EXPECT_EQ(r.a, "4");
            EXPECT_EQ(r.b, "1");
        }
    EXPECT_TRUE(saw_pipeline);
    a.settings.pipeline = 1;
    for (const auto& r : compare(a, b)) EXPECT_NE(r.label, "pipeline");
    for (const auto& r : compare(a, b)) EXPECT_NE(r.label, "protocol");  // both HTTP/1.1
    a.settings.http2 = true;
    a.settings.pipeline = 10;
    bool saw_protocol = false;
    for (const auto& r : compare(a, b))
        if (r.label == "protocol") {
            saw_protocol = true;
            EXPECT_EQ(r.a, "HTTP/2");
            EXPECT_EQ(r.b, "HTTP/1.1");
        }
    EXPECT_TRUE(saw_protocol);
    EXPECT_NE(summary_text(a).find("HTTP/2, 10 streams per connection"), std::string::npos) << summary_text(a);
}

TEST(BenchExport, JsonHasEverythingIncludingTheHistogram) {
    BenchRun r = sample_run(1000);
    r.id = 7;
    const auto j = nlohmann::json::parse(run_json(r));
    EXPECT_EQ(j["id"], 7);
    EXPECT_EQ(j["git_commit"], *r.git_commit);
    EXPECT_EQ(j["settings"]["connections"], 16);
    EXPECT_EQ(j["settings"]["method"], "POST");
    EXPECT_EQ(j["settings"]["paths"], "/users/1:3 /users/2");
    EXPECT_EQ(j["settings"]["pipeline"], 4);
    EXPECT_DOUBLE_EQ(j["settings"]["timeout_s"].get<double>(), 2.5);
    EXPECT_EQ(j["settings"]["http2"], false);
    EXPECT_DOUBLE_EQ(j["summary"]["p99_us"].get<double>(), 1200.0);
    EXPECT_EQ(j["summary"]["errors"]["total"], 21);
    EXPECT_EQ(j["report"]["histogram"]["count"], 2500);
    r.git_commit.reset();
    EXPECT_TRUE(nlohmann::json::parse(run_json(r))["git_commit"].is_null());
}

TEST(BenchExport, CsvIsOneQuotedRowPerRun) {
    BenchRun a = sample_run(1000);
    a.id = 1;
    BenchRun b = sample_run(2000, std::nullopt);
    b.id = 2;
    b.settings.url = "http://h:1/a,b?q=\"x\"";
    const auto csv = runs_csv({a, b});
    std::vector<std::string> lines;
    for (std::size_t pos = 0, end; (end = csv.find("\r\n", pos)) != std::string::npos; pos = end + 2)
        lines.push_back(csv.substr(pos, end - pos));
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0].substr(0, 30), "id,started_at,url,method,conne");
    EXPECT_TRUE(lines[0].ends_with(",max_p99_ms,http2")) << lines[0];
    EXPECT_TRUE(lines[1].ends_with(",0")) << lines[1];
    EXPECT_EQ(lines[1].substr(0, 62), "1,2024-05-01T12:00:00Z,http://127.0.0.1:8000/users/1,POST,16,2");
    EXPECT_NE(lines[1].find(",1000,250,400,1200,3000,5000,"), std::string::npos) << lines[1];
    EXPECT_NE(lines[2].find(",\"http://h:1/a,b?q=\"\"x\"\"\",POST,"), std::string::npos) << lines[2];
    // Same number of fields on every line (the quoted comma does not count).
    const auto header_fields = std::count(lines[0].begin(), lines[0].end(), ',');
    EXPECT_EQ(std::count(lines[1].begin(), lines[1].end(), ','), header_fields);
    EXPECT_EQ(std::count(lines[2].begin(), lines[2].end(), ','), header_fields + 1);
}

TEST(BenchCompare, CeilingSummaryGivesTheRateAndTheLatencyBelowIt) {
    namespace lg = cello::inspector::loadgen;
    lg::CeilingResult c;
    c.probe_rate = 12000;
    c.ceiling_rate = 10000;
    for (const double f : {0.5, 0.75, 0.9}) {
        lg::CeilingPoint p;
        p.fraction = f;
        p.result.config.rate = 10000 * f;
        p.result.config.duration = std::chrono::seconds(1);
        p.result.elapsed_s = 1;
        for (int i = 0; i < 100; ++i) p.result.totals.latency.record(1'000'000);  // 1 ms
        p.result.totals.requests = 100;
        c.below.push_back(p);
    }
    BenchRun run;
    run.settings.url = "http://127.0.0.1:8000/";
    run.settings.ceiling = true;
    run.summary = summarize(c);
    run.report_json = lg::json_report(run.settings.url, c, lg::CeilingConfig{});
    EXPECT_DOUBLE_EQ(run.summary.ceiling_rate, 10000);
    EXPECT_EQ(run.summary.requests, 100u);  // the 90 % point
    const auto text = summary_text(run);
    EXPECT_NE(text.find("Ceiling: 10000 req/s"), std::string::npos) << text;
    EXPECT_NE(text.find("at 75 % (7500 req/s): p50 1.00ms"), std::string::npos) << text;

    lg::CeilingResult stopped;
    stopped.stopped = true;
    run.summary = summarize(stopped);
    EXPECT_TRUE(run.summary.stopped_early);
    EXPECT_NE(summary_text(run).find("Stopped before a ceiling was found"), std::string::npos);
}
