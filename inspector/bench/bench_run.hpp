// One benchmark run as the studio keeps it: what was asked, where it ran (app file, git commit),
// what came out (a summary for tables and comparisons, and the full JSON report with the
// histogram). Plain values; built from a load generator's result, stored by BenchHistory.
#pragma once

#include "inspector/loadgen/ceiling.hpp"
#include "inspector/loadgen/load_generator.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cello::inspector::bench {

struct BenchSettings {
    std::string url;
    std::string method = "GET";
    std::string body;
    unsigned connections = 10;
    unsigned threads = 1;
    double duration_s = 10;  // per step in ceiling mode
    double rate = 0;         // 0: closed loop
    bool ceiling = false;    // "find the ceiling" instead of one run
    // As typed in the form (the CLI's syntax): "Name: value; Name: value", "/a:3 /b".
    std::string headers;
    std::string paths;       // a weighted path mix instead of the URL's path; "" for none
    unsigned pipeline = 1;   // requests in flight per connection
    double timeout_s = 0;    // per request; 0: the load generator's default
    double max_p99_ms = 0;   // ceiling mode: a step above it is not sustainable; 0 when not a ceiling search
    bool http2 = false;      // HTTP/2: h2 over https://, h2c over http:// (cello bench --http2)
};

struct BenchSummary {
    std::uint64_t requests = 0;
    double elapsed_s = 0;
    double requests_per_sec = 0;
    std::int64_t p50_ns = 0, p90_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;
    double mean_ns = 0;
    loadgen::ErrorCounts errors;
    bool stopped_early = false;
    double ceiling_rate = 0;  // ceiling mode only: the highest sustainable rate (0: none found)
};

struct BenchRun {
    std::int64_t id = 0;  // assigned by BenchHistory::save
    std::string started_at;  // ISO 8601, UTC ("2024-05-01T12:00:00Z")
    BenchSettings settings;
    std::string app_file;                   // "" when the target is not the studio's app
    std::optional<std::string> git_commit;  // absent when the app's folder is not a git repository
    BenchSummary summary;
    std::string report_json;  // loadgen's json_report: histogram, per-second samples, ceiling steps
};

// The summary of one run (closed or open loop).
BenchSummary summarize(const loadgen::LoadResult& result);
// The summary of a ceiling search: the latency at 90 % of the ceiling (the highest point measured
// below it), the totals over every step, and the ceiling itself.
BenchSummary summarize(const loadgen::CeilingResult& result);

// The current time as ISO 8601 UTC, for BenchRun::started_at.
std::string utc_now_iso8601();

// One line of a side-by-side comparison: `b / a` is the ratio (0 when a is 0).
struct ComparisonRow {
    std::string label;
    std::string a, b;    // formatted values
    double ratio = 0;
    bool higher_is_better = false;  // for colouring; settings rows are neither (both false, `setting`)
    bool setting = false;
};

// Settings and results of two runs, row by row: req/s, latency percentiles, errors, then settings.
std::vector<ComparisonRow> compare(const BenchRun& a, const BenchRun& b);

// A short multi-line text of one run's summary (what the page shows when a run ends).
std::string summary_text(const BenchRun& run);

}  // namespace cello::inspector::bench
