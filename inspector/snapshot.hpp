// What the inspector shows, as plain values: one Snapshot is everything the studio's pages and the
// inspector API need at one moment. Built by Inspector::snapshot(), or parsed from the API's JSON.
#pragma once

#include "engine/telemetry/telemetry.hpp"
#include "inspector/route_stats.hpp"
#include "inspector/time_series.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cello::inspector {

// One route of the table being served. `id` is the inspector's stable slot for the route's label
// ("GET /users/{id}"), kept across reloads, not the engine's per-table index.
struct RouteInfo {
    std::uint32_t id = kUnmatchedRoute;
    std::string method, pattern, name;
    std::string file;          // the handler's source file ("" when unknown)
    int line = 0;
    bool cached = false;       // @cache
    double cache_ttl_s = 0;
    std::vector<std::string> cache_tags;
    std::string label() const { return method + " " + pattern; }
};

struct RouteRow {
    RouteInfo info;            // info.pattern == "<unmatched>" for the unmatched slot
    RouteSnapshot stats;
    bool live = true;          // in the current table (false: removed by a reload, stats kept)
};

struct CacheRow {
    std::string label;         // route label or tag
    std::uint64_t hits = 0, misses = 0, stores = 0, evictions = 0, invalidations = 0;
    double hit_ratio = 0;
};

struct RequestRow {
    std::uint64_t seq = 0;     // increasing; ask for `requests_since` to get only newer rows
    std::int64_t time_ns = 0;
    std::string method, path, route;  // route: its label, "" when unmatched
    int status = 0;
    std::int64_t latency_ns = 0, handler_ns = 0;
    std::uint64_t bytes_in = 0, bytes_out = 0;
    std::string cache;         // "-", "HIT", "MISS", "BYPASS"
    std::string protocol = "HTTP/1.1";  // "HTTP/1.0", "HTTP/1.1", "HTTP/2"
    std::string tls;           // "TLSv1.2", "TLSv1.3"; empty over cleartext
    unsigned thread = 0;
    // Database queries the handler ran (from its trace; 0 when none or no trace).
    std::uint32_t db_queries = 0, db_repeats = 0;  // repeats: runs of its most repeated statement
    std::int64_t db_ns = 0;
    // With detail capture on (Inspector::set_capture): what the event cannot carry.
    bool has_detail = false;
    std::string query, target;  // target: path and query as received (the event's path may be cut)
    std::vector<std::pair<std::string, std::string>> headers, response_headers;
    std::string body_preview;
    std::string response_preview;  // the response body's start (engine::Telemetry::kResponsePreviewBytes)
    std::uint64_t response_size = 0;
    bool response_streamed = false;
    std::vector<engine::QueryRecord> queries;  // its statements, in order (the first RequestTrace::kMaxQueries)
    std::vector<engine::LogRecord> logs;       // its log lines, in order
    std::uint32_t logs_total = 0;              // log lines made (beyond those kept)
};

struct ErrorRow {
    std::uint64_t seq = 0;
    std::int64_t time_ns = 0;
    std::string method, path, route;
    int status = 0;
    std::string message, traceback;  // message: the latest of the folded ones
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body_preview;
    // Failures this row stands for: more than 1 when the server folded a burst of the same failure
    // (engine::ErrorRecord::count); the last of them at last_ns.
    std::uint64_t count = 1;
    std::int64_t last_ns = 0;
};

struct ReloadRow {
    std::uint64_t seq = 0;
    std::int64_t time_ns = 0;
    bool ok = false;
    double duration_ms = 0;
    std::size_t routes = 0;    // routes served after it
    std::string error;         // the traceback of a failed reload
};

// One worker process of a cluster (cluster mode: the supervisor's inspector lists them).
struct WorkerRow {
    unsigned slot = 0;          // 1-based, as the supervisor's log lines name it
    int pid = 0;
    std::string state;          // "starting", "serving", "draining"
    std::uint64_t requests = 0; // answered by this process (updated once a second)
    std::uint64_t rss_bytes = 0;
    unsigned restarts = 0;      // times this slot's worker was replaced (crash, recycle, reload)
    std::int64_t started_ns = 0;
    std::uint64_t websockets = 0;          // WebSocket connections open in it now
    std::uint64_t websocket_messages = 0;  // messages received and sent over them (updated once a second)
};

// One WebSocket connection, open or recently ended (engine::WebSocketRecord with its route's label).
struct WebSocketRow {
    std::uint64_t id = 0;
    std::int64_t opened_ns = 0, closed_ns = 0;  // closed_ns 0: open
    std::string route, path, client, subprotocol;  // path: as requested, with the query (redacted)
    unsigned thread = 0;
    std::uint64_t messages_in = 0, messages_out = 0, bytes_in = 0, bytes_out = 0;
    int close_code = 0;                          // once ended: 1000, 1001, 1006...
    std::string close_reason;
};

struct WebSocketListing {
    std::size_t open = 0;                        // connections open now (listed or not)
    std::uint64_t opened_total = 0;              // since the server started
    std::uint64_t messages_in = 0, messages_out = 0;  // every connection's, since the start
    std::vector<WebSocketRow> connections;       // the open ones, oldest first (at most max_websockets)
    std::vector<WebSocketRow> closed;            // the last ones that ended, oldest first
};

struct Snapshot {
    std::int64_t now_ns = 0, started_ns = 0;
    unsigned threads = 0;
    std::uint64_t requests_total = 0, dropped_events = 0, dropped_errors = 0;
    std::vector<RouteRow> routes;
    std::vector<CacheRow> cache_routes, cache_tags;
    std::size_t cache_bytes = 0, cache_entries = 0, cache_max_bytes = 0;
    std::vector<RequestRow> requests;   // oldest first
    std::vector<ErrorRow> errors;       // oldest first
    std::vector<ReloadRow> reloads;     // oldest first
    std::vector<SecondPoint> series;    // one per second, oldest first
    std::vector<WorkerRow> workers;     // cluster mode: every worker process; empty otherwise
    WebSocketListing websockets;        // one process's (cluster mode: see WorkerRow::websockets)
    std::string server_host;            // where the app answers (port 0: not told yet)
    std::uint16_t server_port = 0;
    // The whole-run latency histogram of `histogram_route`: (bucket lower bound ns, count).
    std::uint32_t histogram_route = kUnmatchedRoute;
    std::vector<std::pair<std::int64_t, std::uint64_t>> histogram;
};

struct SnapshotQuery {
    std::uint64_t requests_since = 0, errors_since = 0, reloads_since = 0;
    std::size_t max_requests = 200;
    unsigned series_seconds = 60;
    bool with_routes = true, with_cache = true, with_series = true, with_websockets = true;
    std::size_t max_websockets = 200;  // open connections listed (the newest); the count is always whole
    bool with_histogram = false;      // include the whole-run histogram of histogram_route
    std::uint32_t histogram_route = kUnmatchedRoute;  // a RouteInfo::id, or the unmatched slot
};

}  // namespace cello::inspector
