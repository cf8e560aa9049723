#include "engine/telemetry/exchange_report.hpp"

#include "engine/tls/tls_info.hpp"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

namespace cello::engine {

namespace {

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The raw headers: the telemetry redacts them before anyone reads them.
void copy_headers(const Request& req, std::vector<std::pair<std::string, std::string>>& out) {
    for (std::size_t i = 0; i < req.header_count; ++i) out.emplace_back(req.headers[i].name, req.headers[i].value);
}

void capture_detail(Telemetry& telemetry, RequestEvent& e, const AnsweredExchange& a) {
    thread_local std::uint32_t next_seq = 0;  // per engine thread, like its ring
    DetailRecord d;
    d.thread = e.thread_index;
    d.seq = e.detail_seq = ++next_seq ? next_seq : ++next_seq;  // 0 means "none"
    d.query = a.req.query;
    d.target = a.req.target;
    copy_headers(a.req, d.headers);
    const Response& res = a.res;
    if (!res.content_type.empty()) d.response_headers.emplace_back("Content-Type", res.content_type);
    for (const auto& [name, value] : res.headers) d.response_headers.emplace_back(name, value);
    d.body_preview = a.req.body.substr(0, Telemetry::kBodyPreviewBytes);
    d.response_streamed = static_cast<bool>(res.stream);
    if (!a.head_only) {
        d.response_size = res.body.size();
        d.response_preview = res.body.substr(0, Telemetry::kResponsePreviewBytes);
    }
    if (RequestTrace* t = res.trace.get()) {
        d.queries = std::move(t->query_records());
        d.logs = std::move(t->log_records());
        d.queries_total = t->queries();
        d.logs_total = t->logs();
    }
    telemetry.record_detail(std::move(d));
}

}  // namespace

void report_answer(Telemetry& telemetry, RequestEvent& e, const AnsweredExchange& a) {
    const Exchange& ex = a.ex;
    e.handler_ns = ex.handler_time.count();
    e.bytes_in = a.bytes_in;
    e.thread_index = static_cast<std::uint16_t>(ex.thread_index);
    e.table_generation = a.table.generation();
    e.route_id = ex.route ? ex.route->id : kUnmatchedRoute;
    e.set_path(a.req.path.empty() ? a.req.target : a.req.path);
    e.http_version = static_cast<std::uint8_t>(a.req.version);
    e.tls_version = a.req.tls ? a.req.tls->version_code : 0;
    if (const RequestTrace* t = a.res.trace.get()) {
        e.db_us = static_cast<std::uint32_t>(std::min<std::int64_t>(t->db_ns() / 1000, UINT32_MAX));
        e.db_queries = static_cast<std::uint16_t>(std::min<std::uint32_t>(t->queries(), UINT16_MAX));
        e.db_repeats = static_cast<std::uint16_t>(std::min<std::uint32_t>(t->max_repeats(), UINT16_MAX));
    }
    if (telemetry.capturing()) capture_detail(telemetry, e, a);
    if (!a.res.error) return;
    ErrorRecord err;
    err.time_ns = now_ns();
    err.table_generation = e.table_generation;
    err.route_id = e.route_id;
    err.method = ex.method;
    err.status = a.res.status;
    err.path = a.req.target;
    err.message = std::move(a.res.error->message);
    err.traceback = std::move(a.res.error->traceback);
    copy_headers(a.req, err.headers);
    err.body_preview = a.req.body.substr(0, Telemetry::kBodyPreviewBytes);
    telemetry.record_error(std::move(err));
}

std::function<void(std::string, std::string)> after_answer_reporter(std::shared_ptr<Telemetry> telemetry,
                                                                    const AnsweredExchange& a) {
    ErrorRecord base;
    base.table_generation = a.table.generation();
    base.route_id = a.ex.route ? a.ex.route->id : kUnmatchedRoute;
    base.method = a.ex.method;
    base.status = a.res.status;
    base.path = a.req.target;
    copy_headers(a.req, base.headers);
    return [telemetry = std::move(telemetry), base = std::move(base)](std::string message, std::string traceback) {
        ErrorRecord e = base;
        e.time_ns = now_ns();
        e.message = std::move(message);
        e.traceback = std::move(traceback);
        telemetry->record_error(std::move(e));
    };
}

void publish_written(EventRing& ring, RequestEvent& e, const Completion& c, std::int64_t wall_ns) {
    e.time_ns = wall_ns;
    e.latency_ns = c.latency.count();
    e.bytes_out = c.bytes_out;
    e.status = static_cast<std::uint16_t>(c.status < 0 ? 0 : c.status);
    e.method = c.method;
    e.cache = c.cache;
    ring.push(e);
}

}  // namespace cello::engine
