#include "inspector/inspector.hpp"

#include "inspector/recent_requests.hpp"

#include <chrono>
#include <deque>
#include <unordered_map>

namespace cello::inspector {

namespace {

constexpr auto kDrainInterval = std::chrono::milliseconds(10);
constexpr const char* kUnmatchedLabel = "<unmatched>";

std::int64_t wall_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string method_text(std::uint8_t m) {
    return m < engine::kMethodCount ? std::string(engine::method_name(static_cast<engine::Method>(m))) : "?";
}

// "path/to/app.py:12" -> ("path/to/app.py", 12); anything else is a file without a line.
std::pair<std::string, int> split_source(const std::string& source) {
    const auto colon = source.rfind(':');
    if (colon == std::string::npos || colon + 1 == source.size()) return {source == "?" ? "" : source, 0};
    int line = 0;
    for (std::size_t i = colon + 1; i < source.size(); ++i) {
        if (source[i] < '0' || source[i] > '9') return {source, 0};
        line = line * 10 + (source[i] - '0');
    }
    return {source.substr(0, colon), line};
}

template <class Row>
void push_bounded(std::deque<Row>& q, Row row, std::size_t cap) {
    q.push_back(std::move(row));
    while (q.size() > cap) q.pop_front();
}

CacheRow cache_row(const engine::ResponseCache::Stat& s) {
    CacheRow r{s.label, s.hits, s.misses, s.stores, s.evictions, s.invalidations, 0};
    if (s.hits + s.misses) r.hit_ratio = static_cast<double>(s.hits) / static_cast<double>(s.hits + s.misses);
    return r;
}

WebSocketRow websocket_row(const engine::WebSocketRecord& r, std::string route) {
    WebSocketRow w;
    w.id = r.id;
    w.opened_ns = r.opened_ns;
    w.closed_ns = r.closed_ns;
    w.route = std::move(route);
    w.path = r.target;
    w.client = r.client;
    w.subprotocol = r.subprotocol;
    w.thread = r.thread;
    w.messages_in = r.messages_in;
    w.messages_out = r.messages_out;
    w.bytes_in = r.bytes_in;
    w.bytes_out = r.bytes_out;
    w.close_code = r.close_code;
    w.close_reason = r.close_reason;
    return w;
}

}  // namespace

struct Inspector::State {
    explicit State(const InspectorConfig& c)
        : stats(RouteStatsConfig{c.max_routes, 60}), recent(c.recent_requests), series(c.series_seconds) {}

    RouteStats stats;
    RecentRequests recent;  // route_id holds the slot, not the engine's table index
    TimeSeries series;
    std::deque<ErrorRow> errors;
    std::uint64_t error_seq = 0;
    std::deque<ReloadRow> reloads;
    std::uint64_t reload_seq = 0;
    std::map<std::string, std::uint32_t, std::less<>> slot_of_label;
    std::vector<RouteInfo> slots;          // by slot: the route as last seen
    std::vector<bool> live;                // by slot: in the current table
    // Route::id -> slot for the recent tables, newest last: an answer routed on a table that a
    // reload has since replaced (in flight, an async handler, a long stream) still finds its route.
    static constexpr std::size_t kTablesKept = 16;
    std::deque<std::pair<std::uint32_t, std::vector<std::uint32_t>>> tables;
    std::uint64_t requests_total = 0;
    // Captured details by (thread << 32 | seq), oldest first in `detail_order`; bounded.
    std::unordered_map<std::uint64_t, engine::DetailRecord> details;
    std::deque<std::uint64_t> detail_order;

    static std::uint64_t detail_key(unsigned thread, std::uint32_t seq) {
        return (static_cast<std::uint64_t>(thread) << 32) | seq;
    }

    std::uint32_t slot(std::uint32_t generation, std::uint32_t route_id) const {
        for (auto it = tables.rbegin(); it != tables.rend(); ++it)
            if (it->first == generation)
                return route_id < it->second.size() ? it->second[route_id] : kUnmatchedRoute;
        if (any_generation && !tables.empty() && route_id < tables.back().second.size())
            return tables.back().second[route_id];  // cluster: another process's table of the same app
        return kUnmatchedRoute;  // a table older than kTablesKept reloads, or none
    }
    bool any_generation = false;
    std::vector<WorkerRow> workers;
    std::string server_host;
    std::uint16_t server_port = 0;
    std::string label(std::uint32_t slot) const { return slot < slots.size() ? slots[slot].label() : std::string(); }
};

WebSocketListing Inspector::websocket_listing(const State& st, std::size_t max_open) const {
    auto l = telemetry_->websockets().list(max_open);
    WebSocketListing out;
    out.open = l.open_count;
    out.opened_total = l.opened_total;
    out.messages_in = l.messages_in;
    out.messages_out = l.messages_out;
    for (const auto& r : l.open)
        out.connections.push_back(websocket_row(r, st.label(st.slot(r.table_generation, r.route_id))));
    for (const auto& r : l.closed)
        out.closed.push_back(websocket_row(r, st.label(st.slot(r.table_generation, r.route_id))));
    return out;
}

Inspector::Inspector(InspectorConfig config)
    : config_(config),
      telemetry_(config.telemetry ? config.telemetry
                                  : std::make_shared<engine::Telemetry>(config.threads, config.ring_capacity,
                                                                        engine::Redaction(config.redact_names))),
      started_ns_(wall_now_ns()),
      state_(std::make_unique<State>(config_)) {
    state_->any_generation = config.cluster;
}

void Inspector::set_server(std::string host, std::uint16_t port) {
    std::lock_guard lock(mutex_);
    state_->server_host = std::move(host);
    state_->server_port = port;
}

void Inspector::set_workers(std::vector<WorkerRow> workers) {
    std::lock_guard lock(mutex_);
    state_->workers = std::move(workers);
}

Inspector::~Inspector() { stop(); }

std::uint32_t Inspector::slot_for(const std::string& label) {
    auto& st = *state_;
    if (auto it = st.slot_of_label.find(label); it != st.slot_of_label.end()) return it->second;
    if (st.slots.size() >= config_.max_routes) return kUnmatchedRoute;  // bounded: the rest share one slot
    const auto slot = static_cast<std::uint32_t>(st.slots.size());
    st.slot_of_label.emplace(label, slot);
    st.slots.emplace_back();
    st.live.push_back(false);
    return slot;
}

void Inspector::set_routes(const engine::RouteTable& table) {
    std::lock_guard lock(mutex_);
    drain_locked();
    auto& st = *state_;
    std::fill(st.live.begin(), st.live.end(), false);
    std::vector<std::uint32_t> slot_of_id(table.routes().size(), kUnmatchedRoute);
    for (const auto& r : table.routes()) {
        RouteInfo info;
        info.method = std::string(engine::method_name(r->method));
        info.pattern = r->pattern;
        info.name = r->name;
        std::tie(info.file, info.line) = split_source(r->source);
        if (r->cache) {
            info.cached = true;
            info.cache_ttl_s = std::chrono::duration<double>(r->cache->ttl).count();
            info.cache_tags = r->cache->tags;
        }
        const std::uint32_t slot = slot_for(info.label());
        slot_of_id[r->id] = slot;
        if (slot == kUnmatchedRoute) continue;
        info.id = slot;
        st.slots[slot] = std::move(info);
        st.live[slot] = true;
    }
    std::erase_if(st.tables, [&](const auto& t) { return t.first == table.generation(); });
    st.tables.emplace_back(table.generation(), std::move(slot_of_id));
    while (st.tables.size() > State::kTablesKept) st.tables.pop_front();
}

void Inspector::set_cache(std::shared_ptr<engine::ResponseCache> cache) {
    std::lock_guard lock(mutex_);
    cache_ = std::move(cache);
}

void Inspector::record_reload(bool ok, double duration_ms, std::size_t routes, std::string error) {
    std::lock_guard lock(mutex_);
    auto& st = *state_;
    push_bounded(st.reloads, ReloadRow{++st.reload_seq, wall_now_ns(), ok, duration_ms, routes, std::move(error)},
                 config_.recent_reloads);
}

void Inspector::set_reload_action(ReloadAction action) {
    std::lock_guard lock(mutex_);
    reload_action_ = std::move(action);
}

bool Inspector::reload(std::string& message) {
    ReloadAction action;
    {
        std::lock_guard lock(mutex_);
        action = reload_action_;
    }
    if (!action) {
        message = "this server cannot reload (started without an app file)";
        return false;
    }
    return action(message);  // outside the lock: the reload calls set_routes()
}

std::size_t Inspector::invalidate_tags(const std::vector<std::string>& tags) {
    std::shared_ptr<engine::ResponseCache> cache;
    {
        std::lock_guard lock(mutex_);
        cache = cache_;
    }
    return cache ? cache->invalidate_tags(tags) : 0;
}

void Inspector::start() {
    std::lock_guard lock(run_mutex_);
    if (running_) return;
    running_ = true;
    thread_ = std::thread([this] {
        std::unique_lock run(run_mutex_);
        while (running_) {
            run.unlock();
            drain_now();
            run.lock();
            run_cv_.wait_for(run, kDrainInterval, [this] { return !running_; });
        }
    });
}

void Inspector::stop() {
    {
        std::lock_guard lock(run_mutex_);
        if (!running_) return;
        running_ = false;
    }
    run_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    drain_now();
}

void Inspector::drain_now() {
    std::lock_guard lock(mutex_);
    drain_locked();
}

void Inspector::drain_locked() {
    auto& st = *state_;
    for (unsigned t = 0; t < telemetry_->threads(); ++t) {
        telemetry_->ring(t).drain([&](const RequestEvent& event) {
            RequestEvent e = event;
            e.route_id = st.slot(e.table_generation, e.route_id);
            e.thread_index = static_cast<std::uint16_t>(t);  // the ring: in a cluster, worker cell x thread
            st.stats.record(e);
            st.recent.push(e);
            st.series.record(e);
            ++st.requests_total;
        });
    }
    for (auto& d : telemetry_->take_details()) {
        const auto key = State::detail_key(d.thread, d.seq);
        if (st.details.insert_or_assign(key, std::move(d)).second) st.detail_order.push_back(key);
        while (st.detail_order.size() > config_.recent_requests + engine::Telemetry::kMaxQueuedDetails / 4) {
            st.details.erase(st.detail_order.front());
            st.detail_order.pop_front();
        }
    }
    for (auto& rec : telemetry_->take_errors()) {
        ErrorRow row;
        row.seq = ++st.error_seq;
        row.time_ns = rec.time_ns;
        row.method = method_text(rec.method);
        row.path = std::move(rec.path);
        row.route = st.label(st.slot(rec.table_generation, rec.route_id));
        row.status = rec.status;
        row.message = std::move(rec.message);
        row.traceback = std::move(rec.traceback);
        row.headers = std::move(rec.headers);
        row.body_preview = std::move(rec.body_preview);
        row.count = rec.count;
        row.last_ns = rec.last_ns ? rec.last_ns : rec.time_ns;
        push_bounded(st.errors, std::move(row), config_.recent_errors);
    }
}

Snapshot Inspector::snapshot(const SnapshotQuery& q) const {
    Snapshot s;
    s.now_ns = wall_now_ns();
    s.started_ns = started_ns_;
    s.threads = telemetry_->threads();
    s.dropped_events = telemetry_->dropped_events();
    s.dropped_errors = telemetry_->dropped_errors();
    std::shared_ptr<engine::ResponseCache> cache;
    {
        std::lock_guard lock(mutex_);
        const auto& st = *state_;
        s.requests_total = st.requests_total;
        s.workers = st.workers;
        s.server_host = st.server_host;
        s.server_port = st.server_port;
        if (q.with_routes) {
            for (std::uint32_t slot = 0; slot < st.slots.size(); ++slot)
                s.routes.push_back({st.slots[slot], st.stats.snapshot(slot, s.now_ns), st.live[slot]});
            RouteRow unmatched{RouteInfo{kUnmatchedRoute, "*", kUnmatchedLabel, "", "", 0, false, 0, {}},
                               st.stats.unmatched_snapshot(s.now_ns), true};
            s.routes.push_back(std::move(unmatched));
        }
        const auto recent = st.recent.snapshot();
        const std::uint64_t first_seq = st.recent.total_pushed() - recent.size() + 1;
        for (std::size_t i = 0; i < recent.size(); ++i) {
            const std::uint64_t seq = first_seq + i;
            if (seq <= q.requests_since) continue;
            if (recent.size() - i > q.max_requests) continue;  // only the newest max_requests
            const RequestEvent& e = recent[i];
            RequestRow& row = s.requests.emplace_back();
            row.seq = seq;
            row.time_ns = e.time_ns;
            row.method = method_text(e.method);
            row.path = std::string(e.path());
            row.route = st.label(e.route_id);
            row.status = e.status;
            row.latency_ns = e.latency_ns;
            row.handler_ns = e.handler_ns;
            row.bytes_in = e.bytes_in;
            row.bytes_out = e.bytes_out;
            row.cache = std::string(engine::cache_outcome_name(e.cache));
            row.protocol = e.http_version == 20 ? "HTTP/2" : e.http_version == 10 ? "HTTP/1.0" : "HTTP/1.1";
            if (e.tls_version) row.tls = e.tls_version == 13 ? "TLSv1.3" : "TLSv1.2";
            row.thread = e.thread_index;
            row.db_queries = e.db_queries;
            row.db_repeats = e.db_repeats;
            row.db_ns = static_cast<std::int64_t>(e.db_us) * 1000;
            if (e.detail_seq == 0) continue;
            const auto it = st.details.find(State::detail_key(e.thread_index, e.detail_seq));
            if (it == st.details.end()) continue;
            row.has_detail = true;
            row.query = it->second.query;
            row.target = it->second.target;
            row.headers = it->second.headers;
            row.response_headers = it->second.response_headers;
            row.body_preview = it->second.body_preview;
            row.response_preview = it->second.response_preview;
            row.response_size = it->second.response_size;
            row.response_streamed = it->second.response_streamed;
            row.queries = it->second.queries;
            row.logs = it->second.logs;
            row.logs_total = it->second.logs_total;
        }
        for (const auto& err : st.errors)
            if (err.seq > q.errors_since) s.errors.push_back(err);
        for (const auto& r : st.reloads)
            if (r.seq > q.reloads_since) s.reloads.push_back(r);
        if (q.with_series) {
            auto points = st.series.points(s.now_ns);
            if (points.size() > q.series_seconds) points.erase(points.begin(), points.end() - q.series_seconds);
            s.series = std::move(points);
        }
        if (q.with_histogram) {
            s.histogram_route = q.histogram_route;
            if (const LatencyHistogram* h = st.stats.total_histogram(q.histogram_route)) {
                for (unsigned b = 0; b < LatencyHistogram::kBucketCount; ++b)
                    if (const auto n = h->bucket_count(b)) s.histogram.emplace_back(LatencyHistogram::bucket_lower(b), n);
            }
        }
        if (q.with_websockets) s.websockets = websocket_listing(st, q.max_websockets);
        cache = cache_;
    }
    if (cache && q.with_cache) {  // the cache has its own lock
        for (const auto& stat : cache->route_stats()) s.cache_routes.push_back(cache_row(stat));
        for (const auto& stat : cache->tag_stats()) s.cache_tags.push_back(cache_row(stat));
        s.cache_bytes = cache->bytes();
        s.cache_entries = cache->entries();
        s.cache_max_bytes = cache->max_bytes();
    }
    return s;
}

}  // namespace cello::inspector
