#include "engine/metrics/metrics_exposition.hpp"

#include "engine/metrics/prometheus_text.hpp"
#include "engine/cache/response_cache.hpp"

#include <stdexcept>

namespace cello::engine {

namespace {

std::string join(std::string_view prefix, std::string_view suffix) {
    std::string name(prefix);
    if (!name.empty()) name += '_';
    name += suffix;
    return name;
}

void write_requests(prom::TextWriter& w, const std::string& prefix, const MetricsSnapshot& snap) {
    if (!snap.series.empty()) {
        const std::string total = join(prefix, "requests_total");
        w.family(total, "HTTP requests answered, by method, route template and status code.", "counter");
        std::string status;
        for (const auto& s : snap.series) {
            for (const auto& [code, n] : s.requests_by_status) {
                status = std::to_string(code);
                const prom::Label labels[] = {{"method", s.method}, {"route", s.route}, {"status", status}};
                w.sample(total, labels, n);
            }
        }

        const std::string duration = join(prefix, "request_duration_seconds");
        w.family(duration, "Time from the first byte of the request to the response written, in seconds.",
                 "histogram");
        for (const auto& s : snap.series) {
            const prom::Label labels[] = {{"method", s.method}, {"route", s.route}};
            w.histogram(duration, labels, kDurationBuckets, s.duration_ns.counts,
                        static_cast<double>(s.duration_ns.sum) / 1e9);
        }

        const std::string size = join(prefix, "response_size_bytes");
        w.family(size, "Bytes written for the response, status line and headers included.", "histogram");
        for (const auto& s : snap.series) {
            const prom::Label labels[] = {{"method", s.method}, {"route", s.route}};
            w.histogram(size, labels, kSizeBuckets, s.size_bytes.counts, static_cast<double>(s.size_bytes.sum));
        }
    }
    const std::string in_progress = join(prefix, "requests_in_progress");
    w.family(in_progress, "HTTP requests being answered (a scrape counts itself).", "gauge");
    w.sample(in_progress, {}, snap.in_progress);
}

// The cache names a route "GET /users/{id}"; Prometheus gets method and route as two labels.
std::pair<std::string_view, std::string_view> split_route_label(std::string_view label) {
    const auto space = label.find(' ');
    if (space == std::string_view::npos) return {"", label};
    return {label.substr(0, space), label.substr(space + 1)};
}

void write_cache(prom::TextWriter& w, const std::string& prefix, const ResponseCache& cache) {
    using Stat = ResponseCache::Stat;
    struct Counter {
        std::string_view suffix;
        std::string_view help;
        std::uint64_t Stat::*field;
    };
    static constexpr Counter kCounters[] = {
        {"hits_total", "Responses served from the response cache", &Stat::hits},
        {"misses_total", "Lookups of cached routes that found no fresh entry", &Stat::misses},
        {"stores_total", "Responses stored in the response cache", &Stat::stores},
        {"evictions_total", "Entries evicted to stay within the memory bound", &Stat::evictions},
        {"invalidations_total", "Entries dropped by invalidate_cache()", &Stat::invalidations},
    };

    const auto routes = cache.route_stats();
    if (!routes.empty()) {
        for (const Counter& c : kCounters) {
            const std::string name = join(prefix, c.suffix);
            w.family(name, std::string(c.help) + ", by route.", "counter");
            for (const Stat& s : routes) {
                const auto [method, route] = split_route_label(s.label);
                const prom::Label labels[] = {{"method", method}, {"route", route}};
                w.sample(name, labels, s.*c.field);
            }
        }
    }
    const auto tags = cache.tag_stats();
    if (!tags.empty()) {
        for (const Counter& c : kCounters) {
            const std::string name = join(prefix, std::string("tag_") + std::string(c.suffix));
            w.family(name, std::string(c.help) + ", by tag (an entry counts for each of its tags).", "counter");
            for (const Stat& s : tags) {
                const prom::Label labels[] = {{"tag", s.label}};
                w.sample(name, labels, s.*c.field);
            }
        }
    }

    const std::string bytes = join(prefix, "bytes");
    w.family(bytes, "Memory held by cached responses, in bytes.", "gauge");
    w.sample(bytes, {}, static_cast<std::uint64_t>(cache.bytes()));
    const std::string max_bytes = join(prefix, "max_bytes");
    w.family(max_bytes, "The response cache's memory bound, in bytes.", "gauge");
    w.sample(max_bytes, {}, static_cast<std::uint64_t>(cache.max_bytes()));
    const std::string entries = join(prefix, "entries");
    w.family(entries, "Responses held in the response cache.", "gauge");
    w.sample(entries, {}, static_cast<std::uint64_t>(cache.entries()));
}

// Database pools (engine/db): connections by state, waiters, statement durations.
void write_pools(prom::TextWriter& w, const std::string& prefix, const std::vector<PoolFigures>& pools) {
    if (pools.empty()) return;
    const std::string connections = join(prefix, "pool_connections");
    w.family(connections, "Open database connections of the pool, by state.", "gauge");
    for (const auto& p : pools) {
        for (const auto& [state, n] : {std::pair{"idle", p.idle}, {"in_use", p.in_use}}) {
            const prom::Label labels[] = {{"pool", p.pool}, {"state", state}};
            w.sample(connections, labels, n);
        }
    }
    struct Gauge {
        std::string_view suffix, help;
        std::uint64_t PoolFigures::*field;
    };
    static constexpr Gauge kGauges[] = {
        {"pool_max_connections", "The pool's bound (pool_size).", &PoolFigures::size},
        {"pool_waiters", "Callers waiting for a connection of the pool.", &PoolFigures::waiters},
    };
    for (const Gauge& g : kGauges) {
        const std::string name = join(prefix, g.suffix);
        w.family(name, g.help, "gauge");
        for (const auto& p : pools) {
            const prom::Label labels[] = {{"pool", p.pool}};
            w.sample(name, labels, p.*g.field);
        }
    }
    const std::string duration = join(prefix, "query_duration_seconds");
    w.family(duration, "Database statements by duration (waiting for a connection not included).", "histogram");
    for (const auto& p : pools) {
        const prom::Label labels[] = {{"pool", p.pool}};
        w.histogram(duration, labels, kDurationBuckets, p.query_ns.counts, static_cast<double>(p.query_ns.sum) / 1e9);
    }
    const std::string errors = join(prefix, "query_errors_total");
    w.family(errors, "Database statements that failed.", "counter");
    for (const auto& p : pools) {
        const prom::Label labels[] = {{"pool", p.pool}};
        w.sample(errors, labels, p.query_errors);
    }
}

void write_process(prom::TextWriter& w, const ProcessStats& p) {
    // The standard names every exporter uses, without namespace, so stock dashboards work.
    struct Figure {
        std::string_view name, help, type;
        double ProcessStats::*field;
    };
    static constexpr Figure kFigures[] = {
        {"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter",
         &ProcessStats::cpu_seconds},
        {"process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", &ProcessStats::resident_bytes},
        {"process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", &ProcessStats::virtual_bytes},
        {"process_open_fds", "Number of open file descriptors.", "gauge", &ProcessStats::open_fds},
        {"process_max_fds", "Maximum number of open file descriptors.", "gauge", &ProcessStats::max_fds},
        {"process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge",
         &ProcessStats::start_time_seconds},
    };
    for (const Figure& f : kFigures) {
        w.family(f.name, f.help, f.type);
        w.sample(f.name, {}, p.*f.field);
    }
}

}  // namespace

std::string metric_prefix(std::string_view ns, std::string_view subsystem, std::string_view what) {
    std::string prefix(ns);
    if (!prefix.empty() && !subsystem.empty()) prefix += '_';
    prefix += subsystem;
    if (!prefix.empty() && !prom::valid_metric_name(prefix))
        throw std::invalid_argument(std::string(what) + " '" + prefix +
                                    "' is not a valid metric name prefix (letters, digits, '_' and ':', "
                                    "not starting with a digit)");
    return prefix;
}

void write_exposition(std::string& out, const MetricNames& names, const MetricsSnapshot& requests,
                      const ResponseCache* cache, const std::optional<ProcessStats>& process,
                      const std::vector<PoolFigures>& pools) {
    prom::TextWriter w(out);
    write_requests(w, names.http, requests);
    if (cache) write_cache(w, names.cache, *cache);
    write_pools(w, names.db, pools);
    if (process) write_process(w, *process);
}

}  // namespace cello::engine
