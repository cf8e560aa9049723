#include "inspector/bench/bench_run.hpp"

#include "engine/platform/civil_time.hpp"
#include "inspector/loadgen/report.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace cello::inspector::bench {

namespace {

BenchSummary from_totals(const loadgen::Tally& t, double elapsed_s) {
    BenchSummary s;
    s.requests = t.requests;
    s.elapsed_s = elapsed_s;
    s.requests_per_sec = elapsed_s > 0 ? static_cast<double>(t.requests) / elapsed_s : 0;
    s.p50_ns = t.latency.percentile(50);
    s.p90_ns = t.latency.percentile(90);
    s.p99_ns = t.latency.percentile(99);
    s.p999_ns = t.latency.percentile(99.9);
    s.max_ns = t.latency.max();
    s.mean_ns = t.mean_ns();
    s.errors = t.errors;
    return s;
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string latency(std::int64_t ns) { return loadgen::format_latency(static_cast<double>(ns)); }

ComparisonRow row(std::string label, double a, double b, std::string fa, std::string fb, bool higher_is_better) {
    return {std::move(label), std::move(fa), std::move(fb), a != 0 ? b / a : 0, higher_is_better, false};
}

ComparisonRow latency_row(std::string label, std::int64_t a, std::int64_t b) {
    return row(std::move(label), static_cast<double>(a), static_cast<double>(b), latency(a), latency(b), false);
}

ComparisonRow count_row(std::string label, double a, double b, int decimals, bool higher_is_better) {
    return row(std::move(label), a, b, fixed(a, decimals), fixed(b, decimals), higher_is_better);
}

ComparisonRow setting_row(std::string label, std::string a, std::string b) {
    return {std::move(label), std::move(a), std::move(b), 0, false, true};
}

std::string mode(const BenchSettings& s) {
    if (s.ceiling) return "ceiling";
    return s.rate > 0 ? "open loop at " + fixed(s.rate, 0) + " req/s" : "closed loop";
}

}  // namespace

BenchSummary summarize(const loadgen::LoadResult& result) {
    BenchSummary s = from_totals(result.totals, result.elapsed_s);
    s.stopped_early = result.stopped_early;
    return s;
}

BenchSummary summarize(const loadgen::CeilingResult& result) {
    BenchSummary s;
    if (!result.below.empty()) s = summarize(result.below.back().result);
    s.ceiling_rate = result.ceiling_rate;
    s.stopped_early = result.stopped;
    return s;
}

std::string utc_now_iso8601() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    const std::tm tm = engine::platform::utc_time(now);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::vector<ComparisonRow> compare(const BenchRun& a, const BenchRun& b) {
    const auto& x = a.summary;
    const auto& y = b.summary;
    std::vector<ComparisonRow> rows;
    rows.push_back(count_row("req/s", x.requests_per_sec, y.requests_per_sec, 1, true));
    if (a.settings.ceiling || b.settings.ceiling)
        rows.push_back(count_row("ceiling req/s", x.ceiling_rate, y.ceiling_rate, 0, true));
    rows.push_back(latency_row("p50", x.p50_ns, y.p50_ns));
    rows.push_back(latency_row("p90", x.p90_ns, y.p90_ns));
    rows.push_back(latency_row("p99", x.p99_ns, y.p99_ns));
    rows.push_back(latency_row("p99.9", x.p999_ns, y.p999_ns));
    rows.push_back(latency_row("max", x.max_ns, y.max_ns));
    rows.push_back(row("mean", x.mean_ns, y.mean_ns, loadgen::format_latency(x.mean_ns),
                       loadgen::format_latency(y.mean_ns), false));
    rows.push_back(count_row("requests", static_cast<double>(x.requests), static_cast<double>(y.requests), 0, true));
    rows.push_back(count_row("errors", static_cast<double>(x.errors.total()), static_cast<double>(y.errors.total()), 0,
                             false));
    rows.push_back(setting_row("url", a.settings.url, b.settings.url));
    rows.push_back(setting_row("mode", mode(a.settings), mode(b.settings)));
    rows.push_back(setting_row("connections / threads",
                               std::to_string(a.settings.connections) + " / " + std::to_string(a.settings.threads),
                               std::to_string(b.settings.connections) + " / " + std::to_string(b.settings.threads)));
    rows.push_back(setting_row("duration", fixed(a.settings.duration_s, 1) + " s", fixed(b.settings.duration_s, 1) + " s"));
    // The form's later fields, only when either run used one.
    const auto& p = a.settings;
    const auto& q = b.settings;
    if (!p.paths.empty() || !q.paths.empty()) rows.push_back(setting_row("paths", p.paths, q.paths));
    if (!p.headers.empty() || !q.headers.empty()) rows.push_back(setting_row("headers", p.headers, q.headers));
    if (p.http2 || q.http2)
        rows.push_back(setting_row("protocol", p.http2 ? "HTTP/2" : "HTTP/1.1", q.http2 ? "HTTP/2" : "HTTP/1.1"));
    if (p.pipeline > 1 || q.pipeline > 1)
        rows.push_back(setting_row("pipeline", std::to_string(p.pipeline), std::to_string(q.pipeline)));
    if (p.timeout_s > 0 || q.timeout_s > 0)
        rows.push_back(setting_row("timeout", fixed(p.timeout_s, 1) + " s", fixed(q.timeout_s, 1) + " s"));
    if (p.ceiling || q.ceiling)
        rows.push_back(setting_row("max p99", fixed(p.max_p99_ms, 1) + " ms", fixed(q.max_p99_ms, 1) + " ms"));
    rows.push_back(setting_row("git commit", a.git_commit.value_or("-"), b.git_commit.value_or("-")));
    rows.push_back(setting_row("started", a.started_at, b.started_at));
    return rows;
}

std::string summary_text(const BenchRun& run) {
    const auto& s = run.summary;
    const auto& e = s.errors;
    std::string out = run.settings.method + " " + run.settings.url + "\n";
    out += mode(run.settings) + ", " + std::to_string(run.settings.connections) + " connections, " +
           std::to_string(run.settings.threads) + " threads, " + fixed(run.settings.duration_s, 1) +
           (run.settings.ceiling ? " s per step\n" : " s\n");
    if (!run.settings.paths.empty()) out += "Paths: " + run.settings.paths + "\n";
    if (!run.settings.headers.empty()) out += "Headers: " + run.settings.headers + "\n";
    if (run.settings.http2) out += "HTTP/2, " + std::to_string(run.settings.pipeline) + " streams per connection\n";
    else if (run.settings.pipeline > 1) out += "Pipelined " + std::to_string(run.settings.pipeline) + " per connection\n";
    if (run.settings.ceiling) {
        if (s.ceiling_rate > 0) out += "Ceiling: " + fixed(s.ceiling_rate, 0) + " req/s\n";
        else if (s.stopped_early) out += "Stopped before a ceiling was found\n";
        else out += "No sustainable rate found\n";
        // The latency below the ceiling comes from the report (one entry per fraction).
        const auto j = nlohmann::json::parse(run.report_json, nullptr, false);
        // A stored report may be damaged or foreign: skip what does not have the expected shape.
        if (j.is_object() && j.contains("below") && j["below"].is_array()) {
            for (const auto& p : j["below"]) {
                if (!p.is_object() || !p.contains("latency_us") || !p["latency_us"].is_object()) continue;
                const auto& l = p["latency_us"];
                out += "  at " + fixed(p.value("fraction", 0.0) * 100, 0) + " % (" + fixed(p.value("target_rate", 0.0), 0) +
                       " req/s): p50 " + loadgen::format_latency(l.value("p50", 0.0) * 1e3) + ", p99 " +
                       loadgen::format_latency(l.value("p99", 0.0) * 1e3) + ", max " +
                       loadgen::format_latency(l.value("max", 0.0) * 1e3) + "\n";
            }
        }
    } else {
        out += std::to_string(s.requests) + " requests in " + fixed(s.elapsed_s, 2) + " s" +
               (s.stopped_early ? " (stopped early)" : "") + "\n";
        out += "Requests/sec: " + fixed(s.requests_per_sec, 1) + "\n";
        out += "Latency: p50 " + latency(s.p50_ns) + ", p90 " + latency(s.p90_ns) + ", p99 " + latency(s.p99_ns) +
               "\n         p99.9 " + latency(s.p999_ns) + ", max " + latency(s.max_ns) + "\n";
    }
    out += "Errors: " + std::to_string(e.total()) + " (connect " + std::to_string(e.connect) + ", read " +
           std::to_string(e.read) + ", write " + std::to_string(e.write) + ", timeout " + std::to_string(e.timeout) +
           ", 4xx " + std::to_string(e.status_4xx) + ", 5xx " + std::to_string(e.status_5xx) + ")\n";
    if (run.git_commit) out += "Commit: " + *run.git_commit + "\n";
    return out;
}

}  // namespace cello::inspector::bench
