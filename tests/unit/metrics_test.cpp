// The metrics pieces without a server: text format, the sharded store, the exposition page.
#include "engine/metrics/metrics_exposition.hpp"
#include "engine/metrics/metrics_store.hpp"
#include "engine/metrics/pool_meter.hpp"
#include "engine/metrics/process_stats.hpp"
#include "engine/metrics/prometheus_text.hpp"
#include "engine/cache/response_cache.hpp"
#include "engine/route_table.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <sstream>
#include <thread>
#include <vector>

namespace cello::engine {
namespace {

using namespace std::chrono_literals;

constexpr auto kGet = static_cast<std::uint8_t>(Method::Get);
constexpr auto kPost = static_cast<std::uint8_t>(Method::Post);

std::string page(const MetricsSnapshot& snap, const ResponseCache* cache = nullptr) {
    std::string out;
    write_exposition(out, {"cello_http", "cello_cache", "cello_db"}, snap, cache, std::nullopt);
    return out;
}

bool has_line(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (l == line) return true;
    return false;
}

TEST(PoolMeter, PoolsOfOneDatabaseAreOneSeriesAndClosedOnesLeave) {
    auto a = PoolMeter::make("sqlite:///unit-a.db");
    auto b = PoolMeter::make("sqlite:///unit-a.db");
    auto c = PoolMeter::make("sqlite:///unit-c.db");
    a->connections(4, 3, 1);
    a->connections(4, 2, 1);  // changes are deltas: the latest state counts
    b->connections(2, 1, 1);
    c->connections(1, 1, 0);
    a->record_query(2ms, false);
    b->record_query(20ms, true);
    a->waiting(1);
    a->waiting(1);
    a->waiting(-1);
    c->detach();  // closed: no longer listed, though a connection may still hold it
    c->record_query(1ms, false);
    std::vector<PoolFigures> mine;
    for (auto& f : PoolMeter::all())
        if (f.pool.find("unit-") != std::string::npos) mine.push_back(f);
    ASSERT_EQ(mine.size(), 1u);
    EXPECT_EQ(mine[0].size, 6u);
    EXPECT_EQ(mine[0].open, 3u);
    EXPECT_EQ(mine[0].idle, 2u);
    EXPECT_EQ(mine[0].in_use, 1u);
    EXPECT_EQ(mine[0].waiters, 1u);
    EXPECT_EQ(mine[0].query_errors, 1u);
    EXPECT_EQ(mine[0].query_ns.sum, 22'000'000u);

    std::string out;
    write_exposition(out, {"cello_http", "cello_cache", "cello_db"}, MetricsSnapshot{}, nullptr, std::nullopt, mine);
    EXPECT_TRUE(has_line(out, "# TYPE cello_db_pool_connections gauge"));
    EXPECT_TRUE(has_line(out, "cello_db_pool_connections{pool=\"sqlite:///unit-a.db\",state=\"in_use\"} 1"));
    EXPECT_TRUE(has_line(out, "cello_db_pool_connections{pool=\"sqlite:///unit-a.db\",state=\"idle\"} 2"));
    EXPECT_TRUE(has_line(out, "cello_db_pool_max_connections{pool=\"sqlite:///unit-a.db\"} 6"));
    EXPECT_TRUE(has_line(out, "cello_db_pool_waiters{pool=\"sqlite:///unit-a.db\"} 1"));
    EXPECT_TRUE(has_line(out, "cello_db_query_duration_seconds_bucket{pool=\"sqlite:///unit-a.db\",le=\"0.0025\"} 1"));
    EXPECT_TRUE(has_line(out, "cello_db_query_duration_seconds_count{pool=\"sqlite:///unit-a.db\"} 2"));
    EXPECT_TRUE(has_line(out, "cello_db_query_errors_total{pool=\"sqlite:///unit-a.db\"} 1"));
    std::string none;
    write_exposition(none, {"cello_http", "cello_cache", "cello_db"}, MetricsSnapshot{}, nullptr, std::nullopt);
    EXPECT_EQ(none.find("cello_db"), std::string::npos);  // no database: no families
    b->detach();  // closed: its connections leave the figures
    for (auto& f : PoolMeter::all()) {
        if (f.pool == "sqlite:///unit-a.db") {
            EXPECT_EQ(f.size, 4u);
        }
    }
}

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
    std::string out;
    prom::append_label_value(out, "a\\b\"c\nd");
    EXPECT_EQ(out, "a\\\\b\\\"c\\nd");
    out.clear();
    prom::append_help_text(out, "say \"hi\"\\\n");
    EXPECT_EQ(out, "say \"hi\"\\\\\\n");  // quotes stay in HELP text
}

TEST(PrometheusText, FormatsNumbersAsPrometheusParsesThem) {
    auto fmt = [](auto v) {
        std::string s;
        prom::append_number(s, v);
        return s;
    };
    EXPECT_EQ(fmt(0.0005), "0.0005");
    EXPECT_EQ(fmt(2.5), "2.5");
    EXPECT_EQ(fmt(1.0), "1");
    EXPECT_EQ(fmt(16777216.0), "16777216");
    EXPECT_EQ(fmt(0.1 + 0.2), "0.30000000000000004");  // round-trips
    EXPECT_EQ(fmt(0.00001), "1e-05");
    EXPECT_EQ(fmt(0.100001), "0.100001");
    EXPECT_EQ(fmt(HUGE_VAL), "+Inf");
    EXPECT_EQ(fmt(-HUGE_VAL), "-Inf");
    EXPECT_EQ(fmt(std::nan("")), "NaN");
    EXPECT_EQ(fmt(std::uint64_t{18446744073709551615ULL}), "18446744073709551615");
    EXPECT_EQ(fmt(std::int64_t{-3}), "-3");
}

TEST(PrometheusText, ValidatesMetricNames) {
    EXPECT_TRUE(prom::valid_metric_name("cello_http"));
    EXPECT_TRUE(prom::valid_metric_name("a:b_c9"));
    EXPECT_FALSE(prom::valid_metric_name(""));
    EXPECT_FALSE(prom::valid_metric_name("9lives"));
    EXPECT_FALSE(prom::valid_metric_name("my-app"));
    EXPECT_EQ(metric_prefix("cello", "http", "x"), "cello_http");
    EXPECT_EQ(metric_prefix("", "http", "x"), "http");
    EXPECT_EQ(metric_prefix("cello", "", "x"), "cello");
    EXPECT_THROW(metric_prefix("my-app", "http", "x"), std::invalid_argument);
}

TEST(PrometheusText, HistogramIsCumulativeWithCountEqualToInf) {
    std::string out;
    prom::TextWriter w(out);
    const double bounds[] = {0.1, 1};
    const std::uint64_t counts[] = {2, 0, 3};
    const prom::Label labels[] = {{"route", "/x"}};
    w.histogram("h", labels, bounds, counts, 7.5);
    EXPECT_EQ(out,
              "h_bucket{route=\"/x\",le=\"0.1\"} 2\n"
              "h_bucket{route=\"/x\",le=\"1\"} 2\n"
              "h_bucket{route=\"/x\",le=\"+Inf\"} 5\n"
              "h_sum{route=\"/x\"} 7.5\n"
              "h_count{route=\"/x\"} 5\n");
}

TEST(MetricsStore, BucketsUseLessOrEqual) {
    MetricsStore store;
    Route r;
    r.pattern = "/slow";
    store.record(0, &r, kGet, 200, 100, 50ms);     // exactly on the 0.05 bound: in le="0.05"
    store.record(0, &r, kGet, 200, 100, 50001us);  // just above: in le="0.1"
    const auto text = page(store.snapshot());
    EXPECT_TRUE(has_line(text, R"(cello_http_request_duration_seconds_bucket{method="GET",route="/slow",le="0.025"} 0)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_request_duration_seconds_bucket{method="GET",route="/slow",le="0.05"} 1)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_request_duration_seconds_bucket{method="GET",route="/slow",le="0.1"} 2)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_request_duration_seconds_bucket{method="GET",route="/slow",le="+Inf"} 2)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_request_duration_seconds_sum{method="GET",route="/slow"} 0.100001)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_request_duration_seconds_count{method="GET",route="/slow"} 2)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_response_size_bytes_bucket{method="GET",route="/slow",le="64"} 0)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_response_size_bytes_bucket{method="GET",route="/slow",le="256"} 2)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_response_size_bytes_sum{method="GET",route="/slow"} 200)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_requests_total{method="GET",route="/slow",status="200"} 2)")) << text;
}

TEST(MetricsStore, SeriesAreKeyedByLabelsNotByRouteAddress) {
    MetricsStore store;
    {
        // Two tables with the same route (a reload): one series.
        Route a, b;
        a.pattern = b.pattern = "/users/{id}";
        store.record(0, &a, kGet, 200, 10, 1ms);
        store.record(0, &b, kGet, 200, 10, 1ms);
    }
    // The same address reused for another route (after a swap freed the old one): a new series.
    Route r;
    r.pattern = "/a";
    store.record(0, &r, kGet, 200, 10, 1ms);
    r.pattern = "/b";
    store.record(0, &r, kGet, 200, 10, 1ms);
    store.record(0, &r, kPost, 201, 10, 1ms);
    store.record(0, nullptr, kGet, 404, 10, 1ms);
    store.record(0, nullptr, kUnknownMethod, 405, 10, 1ms);
    const auto text = page(store.snapshot());
    EXPECT_TRUE(has_line(text, R"(cello_http_requests_total{method="GET",route="/users/{id}",status="200"} 2)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_requests_total{method="GET",route="/a",status="200"} 1)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_requests_total{method="GET",route="/b",status="200"} 1)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_requests_total{method="POST",route="/b",status="201"} 1)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_requests_total{method="GET",route="<unmatched>",status="404"} 1)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_http_requests_total{method="OTHER",route="<unmatched>",status="405"} 1)")) << text;
}

TEST(MetricsStore, RouteLabelsAreEscaped) {
    MetricsStore store;
    Route r;
    r.pattern = "/q\"\\\n";
    store.record(0, &r, kGet, 200, 10, 1ms);
    const auto text = page(store.snapshot());
    EXPECT_TRUE(has_line(text, R"(cello_http_requests_total{method="GET",route="/q\"\\\n",status="200"} 1)")) << text;
}

TEST(MetricsStore, InProgressNeverGoesBelowZero) {
    MetricsStore store;
    store.enter(0);
    store.enter(1);
    EXPECT_EQ(store.snapshot().in_progress, 2);
    store.leave(0);
    store.leave(0);  // a finish whose start this store did not see
    EXPECT_EQ(store.snapshot().in_progress, 1);
    store.leave(1);
    EXPECT_EQ(store.snapshot().in_progress, 0);
    store.enter(0);
    EXPECT_EQ(store.snapshot().in_progress, 1);
}

TEST(MetricsStore, ShardsAddUpWhileScrapedConcurrently) {
    MetricsStore store;
    Route r;
    r.pattern = "/x";
    constexpr unsigned kThreads = 4;
    constexpr int kPerThread = 20000;
    std::atomic<bool> done{false};
    std::thread scraper([&] {
        while (!done.load()) {
            // Every snapshot is consistent: each shard is copied under its lock.
            for (const auto& s : store.snapshot().series) {
                std::uint64_t buckets = 0, requests = 0;
                for (auto n : s.duration_ns.counts) buckets += n;
                for (const auto& [code, n] : s.requests_by_status) requests += n;
                ASSERT_EQ(buckets, requests);
            }
        }
    });
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < kThreads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                store.enter(t);
                store.record(t, &r, kGet, 200, 100, std::chrono::microseconds(i % 3000));
                store.leave(t);
            }
        });
    }
    for (auto& w : workers) w.join();
    done = true;
    scraper.join();
    const auto snap = store.snapshot();
    ASSERT_EQ(snap.series.size(), 1u);
    EXPECT_EQ(snap.series[0].requests_by_status.at(200), std::uint64_t{kThreads} * kPerThread);
    EXPECT_EQ(snap.in_progress, 0);
}

TEST(MetricsExposition, CacheCountersByRouteAndTag) {
    ResponseCache cache(1 << 20);
    auto route = cache.route_counters("GET /reports/{id}");
    auto tag = cache.tag_counters("reports");
    route->hits += 3;
    route->misses += 1;
    tag->hits += 3;
    const auto text = page(MetricsSnapshot{}, &cache);
    EXPECT_TRUE(has_line(text, R"(cello_cache_hits_total{method="GET",route="/reports/{id}"} 3)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_cache_misses_total{method="GET",route="/reports/{id}"} 1)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_cache_evictions_total{method="GET",route="/reports/{id}"} 0)")) << text;
    EXPECT_TRUE(has_line(text, R"(cello_cache_tag_hits_total{tag="reports"} 3)")) << text;
    EXPECT_TRUE(has_line(text, "cello_cache_entries 0")) << text;
    EXPECT_TRUE(has_line(text, "cello_cache_max_bytes 1048576")) << text;
    EXPECT_TRUE(has_line(text, "# TYPE cello_cache_hits_total counter")) << text;
    EXPECT_TRUE(has_line(text, "cello_http_requests_in_progress 0")) << text;
    EXPECT_EQ(text.find("cello_http_requests_total"), std::string::npos) << "no family without series";
}

TEST(ProcessStats, ArePlausible) {
    const auto p = read_process_stats();
    ASSERT_TRUE(p);
    EXPECT_GT(p->resident_bytes, 1e5);
    EXPECT_GE(p->virtual_bytes, p->resident_bytes);
#ifdef _WIN32
    const bool counted = p->open_fds > 0;  // (wine's GetProcessHandleCount reports none)
#else
    const bool counted = true;
#endif
    if (counted) {
        EXPECT_GE(p->open_fds, 3);  // stdin, stdout, stderr
    }
    EXPECT_GT(p->max_fds, p->open_fds);
    EXPECT_GE(p->cpu_seconds, 0);
    const double now = static_cast<double>(std::time(nullptr));
    EXPECT_LE(p->start_time_seconds, now + 1);
    EXPECT_GT(p->start_time_seconds, now - 3600);  // this test process started recently
}

}  // namespace
}  // namespace cello::engine
