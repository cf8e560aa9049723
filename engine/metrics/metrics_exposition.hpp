// The /metrics page: request metrics, response cache counters and process figures, written in
// the Prometheus text format.
#pragma once

#include "engine/metrics/metrics_store.hpp"
#include "engine/metrics/pool_meter.hpp"
#include "engine/metrics/process_stats.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cello::engine {

class ResponseCache;

// Family name prefixes, e.g. "cello_http" for request metrics and "cello_cache" for the cache.
struct MetricNames {
    std::string http;
    std::string cache;
    std::string db;  // database pools: "cello_db"
};

// Joins the non-empty parts with '_' (as client libraries build names from namespace and
// subsystem). Throws std::invalid_argument naming `what` when the result is not a metric name.
std::string metric_prefix(std::string_view ns, std::string_view subsystem, std::string_view what);

// Appends the page. Families without series are left out (a counter appears with its first
// event); `cache` and `process` may be absent, `pools` empty (no database).
void write_exposition(std::string& out, const MetricNames& names, const MetricsSnapshot& requests,
                      const ResponseCache* cache, const std::optional<ProcessStats>& process,
                      const std::vector<PoolFigures>& pools = {});

}  // namespace cello::engine
