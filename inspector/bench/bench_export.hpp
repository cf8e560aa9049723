// A stored benchmark run written out for other tools: JSON (everything, the full histogram
// included) and CSV (one row per run: settings and summary, for spreadsheets). No file I/O here;
// the caller writes the text where it wants.
#pragma once

#include "inspector/bench/bench_run.hpp"

#include <string>
#include <vector>

namespace cello::inspector::bench {

// {"id", "started_at", "app_file", "git_commit" (null when absent), "settings", "summary",
//  "report": the load generator's JSON report (null if the run has none)}.
std::string run_json(const BenchRun& run);

// A header line, then one line per run (RFC 4180 quoting; latencies in µs).
std::string runs_csv(const std::vector<BenchRun>& runs);

}  // namespace cello::inspector::bench
