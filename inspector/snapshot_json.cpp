#include "inspector/snapshot_json.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace cello::inspector {

using nlohmann::json;

namespace {

// Times travel as Unix seconds and latencies as milliseconds (floats): what a reader expects.
double to_s(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }
double to_ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }
std::int64_t from_s(double s) { return std::llround(s * 1e9); }
std::int64_t from_ms(double ms) { return std::llround(ms * 1e6); }

json window_json(const WindowStats& w) {
    return {{"count", w.count}, {"errors_4xx", w.errors_4xx}, {"errors_5xx", w.errors_5xx},
            {"p50_ms", to_ms(w.p50_ns)}, {"p90_ms", to_ms(w.p90_ns)}, {"p99_ms", to_ms(w.p99_ns)},
            {"max_ms", to_ms(w.max_ns)}};
}

WindowStats window_from(const json& j) {
    WindowStats w;
    w.count = j.at("count").get<std::uint64_t>();
    w.errors_4xx = j.at("errors_4xx").get<std::uint64_t>();
    w.errors_5xx = j.at("errors_5xx").get<std::uint64_t>();
    w.p50_ns = from_ms(j.at("p50_ms").get<double>());
    w.p90_ns = from_ms(j.at("p90_ms").get<double>());
    w.p99_ns = from_ms(j.at("p99_ms").get<double>());
    w.max_ns = from_ms(j.at("max_ms").get<double>());
    return w;
}

json route_json(const RouteRow& r) {
    const auto& i = r.info;
    const auto& st = r.stats;
    return {{"id", i.id == kUnmatchedRoute ? json(nullptr) : json(i.id)},
            {"method", i.method}, {"pattern", i.pattern}, {"name", i.name}, {"file", i.file}, {"line", i.line},
            {"cached", i.cached}, {"cache_ttl_s", i.cache_ttl_s}, {"cache_tags", i.cache_tags}, {"live", r.live},
            {"total", window_json(st.total)}, {"window", window_json(st.window)},
            {"cache_hits", st.cache_hits}, {"cache_misses", st.cache_misses}, {"cache_bypass", st.cache_bypass},
            {"hit_ratio", st.hit_ratio}, {"bytes_in", st.bytes_in}, {"bytes_out", st.bytes_out},
            {"db", {{"queries", st.db_queries}, {"requests", st.db_requests}, {"time_ms", to_ms(st.db_ns)},
                    {"max_repeats", st.max_repeats}, {"n_plus_one", st.n_plus_one}}}};
}

RouteRow route_from(const json& j) {
    RouteRow r;
    r.info.id = j.at("id").is_null() ? kUnmatchedRoute : j.at("id").get<std::uint32_t>();
    r.info.method = j.at("method").get<std::string>();
    r.info.pattern = j.at("pattern").get<std::string>();
    r.info.name = j.at("name").get<std::string>();
    r.info.file = j.at("file").get<std::string>();
    r.info.line = j.at("line").get<int>();
    r.info.cached = j.at("cached").get<bool>();
    r.info.cache_ttl_s = j.at("cache_ttl_s").get<double>();
    r.info.cache_tags = j.at("cache_tags").get<std::vector<std::string>>();
    r.live = j.at("live").get<bool>();
    r.stats.route_id = r.info.id;
    r.stats.total = window_from(j.at("total"));
    r.stats.window = window_from(j.at("window"));
    r.stats.cache_hits = j.at("cache_hits").get<std::uint64_t>();
    r.stats.cache_misses = j.at("cache_misses").get<std::uint64_t>();
    r.stats.cache_bypass = j.at("cache_bypass").get<std::uint64_t>();
    r.stats.hit_ratio = j.at("hit_ratio").get<double>();
    r.stats.bytes_in = j.at("bytes_in").get<std::uint64_t>();
    r.stats.bytes_out = j.at("bytes_out").get<std::uint64_t>();
    if (const auto db = j.find("db"); db != j.end() && db->is_object()) {  // absent from older servers
        r.stats.db_queries = db->value("queries", std::uint64_t{0});
        r.stats.db_requests = db->value("requests", std::uint64_t{0});
        r.stats.db_ns = from_ms(db->value("time_ms", 0.0));
        r.stats.max_repeats = db->value("max_repeats", std::uint32_t{0});
        r.stats.n_plus_one = db->value("n_plus_one", std::uint64_t{0});
    }
    return r;
}

json cache_json(const CacheRow& c) {
    return {{"label", c.label}, {"hits", c.hits}, {"misses", c.misses}, {"stores", c.stores},
            {"evictions", c.evictions}, {"invalidations", c.invalidations}, {"hit_ratio", c.hit_ratio}};
}

CacheRow cache_from(const json& j) {
    return {j.at("label").get<std::string>(), j.at("hits").get<std::uint64_t>(), j.at("misses").get<std::uint64_t>(),
            j.at("stores").get<std::uint64_t>(), j.at("evictions").get<std::uint64_t>(),
            j.at("invalidations").get<std::uint64_t>(), j.at("hit_ratio").get<double>()};
}

json queries_json(const std::vector<engine::QueryRecord>& queries) {
    json out = json::array();
    for (const auto& q : queries)
        out.push_back({{"sql", q.sql}, {"start_ms", to_ms(q.start_ns)}, {"duration_ms", to_ms(q.duration_ns)},
                       {"rows", q.rows}, {"error", q.error.empty() ? json(nullptr) : json(q.error)}});
    return out;
}

std::vector<engine::QueryRecord> queries_from(const json& j) {
    std::vector<engine::QueryRecord> out;
    for (const auto& q : j) {
        const auto error = q.find("error");
        out.push_back({q.at("sql").get<std::string>(), from_ms(q.at("start_ms").get<double>()),
                       from_ms(q.at("duration_ms").get<double>()), q.at("rows").get<std::int64_t>(),
                       error != q.end() && error->is_string() ? error->get<std::string>() : std::string()});
    }
    return out;
}

json logs_json(const std::vector<engine::LogRecord>& logs) {
    json out = json::array();
    for (const auto& l : logs)
        out.push_back({{"at_ms", to_ms(l.start_ns)}, {"level", l.level}, {"logger", l.logger}, {"message", l.message}});
    return out;
}

std::vector<engine::LogRecord> logs_from(const json& j) {
    std::vector<engine::LogRecord> out;
    for (const auto& l : j)
        out.push_back({from_ms(l.at("at_ms").get<double>()), l.at("level").get<int>(), l.at("logger").get<std::string>(),
                       l.at("message").get<std::string>()});
    return out;
}

json request_json(const RequestRow& r) {
    json detail = nullptr;
    if (r.has_detail)
        detail = {{"query", r.query}, {"target", r.target}, {"headers", r.headers}, {"response_headers", r.response_headers},
                  {"body_preview", r.body_preview}, {"response_preview", r.response_preview},
                  {"response_size", r.response_size}, {"response_streamed", r.response_streamed},
                  {"queries", queries_json(r.queries)}, {"logs", logs_json(r.logs)}, {"logs_total", r.logs_total}};
    return {{"seq", r.seq}, {"time", to_s(r.time_ns)}, {"method", r.method}, {"path", r.path}, {"route", r.route},
            {"status", r.status}, {"latency_ms", to_ms(r.latency_ns)}, {"handler_ms", to_ms(r.handler_ns)},
            {"bytes_in", r.bytes_in}, {"bytes_out", r.bytes_out}, {"cache", r.cache}, {"thread", r.thread},
            {"protocol", r.protocol}, {"tls", r.tls.empty() ? json(nullptr) : json(r.tls)},
            {"db", {{"queries", r.db_queries}, {"repeats", r.db_repeats}, {"time_ms", to_ms(r.db_ns)}}},
            {"detail", detail}};
}

RequestRow request_from(const json& j) {
    RequestRow r;
    r.seq = j.at("seq").get<std::uint64_t>();
    r.time_ns = from_s(j.at("time").get<double>());
    r.method = j.at("method").get<std::string>();
    r.path = j.at("path").get<std::string>();
    r.route = j.at("route").get<std::string>();
    r.status = j.at("status").get<int>();
    r.latency_ns = from_ms(j.at("latency_ms").get<double>());
    r.handler_ns = from_ms(j.at("handler_ms").get<double>());
    r.bytes_in = j.at("bytes_in").get<std::uint64_t>();
    r.bytes_out = j.at("bytes_out").get<std::uint64_t>();
    r.cache = j.at("cache").get<std::string>();
    r.thread = j.at("thread").get<unsigned>();
    r.protocol = j.value("protocol", std::string("HTTP/1.1"));  // these two: absent from older servers
    if (const auto t = j.find("tls"); t != j.end() && t->is_string()) r.tls = t->get<std::string>();
    if (const auto db = j.find("db"); db != j.end() && db->is_object()) {  // absent from older servers
        r.db_queries = db->value("queries", std::uint32_t{0});
        r.db_repeats = db->value("repeats", std::uint32_t{0});
        r.db_ns = from_ms(db->value("time_ms", 0.0));
    }
    if (const auto d = j.find("detail"); d != j.end() && d->is_object()) {
        r.has_detail = true;
        r.query = d->at("query").get<std::string>();
        r.headers = d->at("headers").get<std::vector<std::pair<std::string, std::string>>>();
        r.response_headers = d->at("response_headers").get<std::vector<std::pair<std::string, std::string>>>();
        r.body_preview = d->at("body_preview").get<std::string>();
        r.target = d->value("target", std::string());  // these: absent from older servers
        r.response_preview = d->value("response_preview", std::string());
        r.response_size = d->value("response_size", std::uint64_t{0});
        r.response_streamed = d->value("response_streamed", false);
        if (const auto q = d->find("queries"); q != d->end() && q->is_array()) r.queries = queries_from(*q);
        if (const auto l = d->find("logs"); l != d->end() && l->is_array()) r.logs = logs_from(*l);
        r.logs_total = d->value("logs_total", std::uint32_t{0});
    }
    return r;
}

json error_json(const ErrorRow& e) {
    return {{"seq", e.seq}, {"time", to_s(e.time_ns)}, {"method", e.method}, {"path", e.path}, {"route", e.route},
            {"status", e.status}, {"message", e.message}, {"traceback", e.traceback}, {"headers", e.headers},
            {"body_preview", e.body_preview}, {"count", e.count}, {"last", to_s(e.last_ns)}};
}

ErrorRow error_from(const json& j) {
    ErrorRow e;
    e.seq = j.at("seq").get<std::uint64_t>();
    e.time_ns = from_s(j.at("time").get<double>());
    e.method = j.at("method").get<std::string>();
    e.path = j.at("path").get<std::string>();
    e.route = j.at("route").get<std::string>();
    e.status = j.at("status").get<int>();
    e.message = j.at("message").get<std::string>();
    e.traceback = j.at("traceback").get<std::string>();
    e.headers = j.at("headers").get<std::vector<std::pair<std::string, std::string>>>();
    e.body_preview = j.at("body_preview").get<std::string>();
    e.count = j.value("count", std::uint64_t{1});  // absent from servers before it existed
    e.last_ns = j.contains("last") ? from_s(j.at("last").get<double>()) : e.time_ns;
    return e;
}

json reload_json(const ReloadRow& r) {
    return {{"seq", r.seq}, {"time", to_s(r.time_ns)}, {"ok", r.ok}, {"duration_ms", r.duration_ms},
            {"routes", r.routes}, {"error", r.error}};
}

ReloadRow reload_from(const json& j) {
    return {j.at("seq").get<std::uint64_t>(), from_s(j.at("time").get<double>()), j.at("ok").get<bool>(),
            j.at("duration_ms").get<double>(), j.at("routes").get<std::size_t>(), j.at("error").get<std::string>()};
}

json point_json(const SecondPoint& p) {
    return {{"time", p.second}, {"requests", p.requests}, {"errors_5xx", p.errors_5xx}, {"cache_hits", p.cache_hits},
            {"cache_misses", p.cache_misses}, {"hit_ratio", p.hit_ratio}, {"p50_ms", to_ms(p.p50_ns)},
            {"p99_ms", to_ms(p.p99_ns)}};
}

SecondPoint point_from(const json& j) {
    SecondPoint p;
    p.second = j.at("time").get<std::int64_t>();
    p.requests = j.at("requests").get<std::uint64_t>();
    p.errors_5xx = j.at("errors_5xx").get<std::uint64_t>();
    p.cache_hits = j.at("cache_hits").get<std::uint64_t>();
    p.cache_misses = j.at("cache_misses").get<std::uint64_t>();
    p.hit_ratio = j.at("hit_ratio").get<double>();
    p.p50_ns = from_ms(j.at("p50_ms").get<double>());
    p.p99_ns = from_ms(j.at("p99_ms").get<double>());
    return p;
}

json worker_json(const WorkerRow& w) {
    return {{"slot", w.slot}, {"pid", w.pid}, {"state", w.state}, {"requests", w.requests},
            {"rss_bytes", w.rss_bytes}, {"restarts", w.restarts}, {"started", to_s(w.started_ns)},
            {"websockets", w.websockets}, {"websocket_messages", w.websocket_messages}};
}

WorkerRow worker_from(const json& j) {
    WorkerRow w;
    w.slot = j.at("slot").get<unsigned>();
    w.pid = j.at("pid").get<int>();
    w.state = j.at("state").get<std::string>();
    w.requests = j.at("requests").get<std::uint64_t>();
    w.rss_bytes = j.at("rss_bytes").get<std::uint64_t>();
    w.restarts = j.at("restarts").get<unsigned>();
    w.started_ns = from_s(j.at("started").get<double>());
    w.websockets = j.value("websockets", std::uint64_t{0});  // absent from servers before it existed
    w.websocket_messages = j.value("websocket_messages", std::uint64_t{0});
    return w;
}

json websocket_json(const WebSocketRow& w) {
    json j = {{"id", w.id}, {"opened", to_s(w.opened_ns)}, {"route", w.route}, {"path", w.path}, {"client", w.client},
              {"subprotocol", w.subprotocol}, {"thread", w.thread}, {"messages_in", w.messages_in},
              {"messages_out", w.messages_out}, {"bytes_in", w.bytes_in}, {"bytes_out", w.bytes_out}};
    if (w.closed_ns) {
        j["closed"] = to_s(w.closed_ns);
        j["close_code"] = w.close_code;
        j["close_reason"] = w.close_reason;
    }
    return j;
}

WebSocketRow websocket_from(const json& j) {
    WebSocketRow w;
    w.id = j.at("id").get<std::uint64_t>();
    w.opened_ns = from_s(j.at("opened").get<double>());
    w.route = j.at("route").get<std::string>();
    w.path = j.at("path").get<std::string>();
    w.client = j.at("client").get<std::string>();
    w.subprotocol = j.at("subprotocol").get<std::string>();
    w.thread = j.at("thread").get<unsigned>();
    w.messages_in = j.at("messages_in").get<std::uint64_t>();
    w.messages_out = j.at("messages_out").get<std::uint64_t>();
    w.bytes_in = j.at("bytes_in").get<std::uint64_t>();
    w.bytes_out = j.at("bytes_out").get<std::uint64_t>();
    if (j.contains("closed")) {
        w.closed_ns = from_s(j.at("closed").get<double>());
        w.close_code = j.at("close_code").get<int>();
        w.close_reason = j.at("close_reason").get<std::string>();
    }
    return w;
}

template <class T, class F>
json array_of(const std::vector<T>& rows, F f) {
    json a = json::array();
    for (const auto& r : rows) a.push_back(f(r));
    return a;
}

template <class T, class F>
std::vector<T> vector_of(const json& a, F f) {
    std::vector<T> out;
    for (const auto& j : a) out.push_back(f(j));
    return out;
}

}  // namespace

std::string to_json(const Snapshot& s) {
    json hist = json::array();
    for (const auto& [lower, n] : s.histogram) hist.push_back({to_ms(lower), n});
    json j = {
        {"version", kSchemaVersion},
        {"now", to_s(s.now_ns)},
        {"started", to_s(s.started_ns)},
        {"threads", s.threads},
        {"requests_total", s.requests_total},
        {"dropped_events", s.dropped_events},
        {"dropped_errors", s.dropped_errors},
        {"routes", array_of(s.routes, route_json)},
        {"cache", {{"bytes", s.cache_bytes}, {"entries", s.cache_entries}, {"max_bytes", s.cache_max_bytes},
                   {"routes", array_of(s.cache_routes, cache_json)}, {"tags", array_of(s.cache_tags, cache_json)}}},
        {"requests", array_of(s.requests, request_json)},
        {"errors", array_of(s.errors, error_json)},
        {"reloads", array_of(s.reloads, reload_json)},
        {"series", array_of(s.series, point_json)},
        {"workers", array_of(s.workers, worker_json)},
        {"websockets", {{"open", s.websockets.open}, {"opened_total", s.websockets.opened_total},
                        {"messages_in", s.websockets.messages_in}, {"messages_out", s.websockets.messages_out},
                        {"connections", array_of(s.websockets.connections, websocket_json)},
                        {"closed", array_of(s.websockets.closed, websocket_json)}}},
        {"server", s.server_port ? json{{"host", s.server_host}, {"port", s.server_port}} : json(nullptr)},
        {"histogram", {{"route", s.histogram_route == kUnmatchedRoute ? json(nullptr) : json(s.histogram_route)},
                       {"buckets", hist}}},
    };
    // Paths and bodies are client data: invalid UTF-8 is replaced, never a reason to fail.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Snapshot snapshot_from_json(const std::string& text) {
    try {
        const json j = json::parse(text);
        if (j.at("version").get<int>() != kSchemaVersion)
            throw std::invalid_argument("inspector schema version " + j.at("version").dump() + " is not supported");
        Snapshot s;
        s.now_ns = from_s(j.at("now").get<double>());
        s.started_ns = from_s(j.at("started").get<double>());
        s.threads = j.at("threads").get<unsigned>();
        s.requests_total = j.at("requests_total").get<std::uint64_t>();
        s.dropped_events = j.at("dropped_events").get<std::uint64_t>();
        s.dropped_errors = j.at("dropped_errors").get<std::uint64_t>();
        s.routes = vector_of<RouteRow>(j.at("routes"), route_from);
        const json& c = j.at("cache");
        s.cache_bytes = c.at("bytes").get<std::size_t>();
        s.cache_entries = c.at("entries").get<std::size_t>();
        s.cache_max_bytes = c.at("max_bytes").get<std::size_t>();
        s.cache_routes = vector_of<CacheRow>(c.at("routes"), cache_from);
        s.cache_tags = vector_of<CacheRow>(c.at("tags"), cache_from);
        s.requests = vector_of<RequestRow>(j.at("requests"), request_from);
        s.errors = vector_of<ErrorRow>(j.at("errors"), error_from);
        s.reloads = vector_of<ReloadRow>(j.at("reloads"), reload_from);
        s.series = vector_of<SecondPoint>(j.at("series"), point_from);
        if (j.contains("workers")) s.workers = vector_of<WorkerRow>(j.at("workers"), worker_from);
        if (j.contains("websockets")) {  // absent from servers before it existed
            const json& w = j.at("websockets");
            s.websockets.open = w.at("open").get<std::size_t>();
            s.websockets.opened_total = w.at("opened_total").get<std::uint64_t>();
            s.websockets.messages_in = w.at("messages_in").get<std::uint64_t>();
            s.websockets.messages_out = w.at("messages_out").get<std::uint64_t>();
            s.websockets.connections = vector_of<WebSocketRow>(w.at("connections"), websocket_from);
            s.websockets.closed = vector_of<WebSocketRow>(w.at("closed"), websocket_from);
        }
        if (j.contains("server") && j.at("server").is_object()) {
            s.server_host = j.at("server").at("host").get<std::string>();
            s.server_port = j.at("server").at("port").get<std::uint16_t>();
        }
        const json& h = j.at("histogram");
        s.histogram_route = h.at("route").is_null() ? kUnmatchedRoute : h.at("route").get<std::uint32_t>();
        for (const auto& b : h.at("buckets")) s.histogram.emplace_back(from_ms(b.at(0).get<double>()), b.at(1).get<std::uint64_t>());
        return s;
    } catch (const json::exception& e) {
        throw std::invalid_argument(std::string("not an inspector snapshot: ") + e.what());
    }
}

}  // namespace cello::inspector
