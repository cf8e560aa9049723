#include "inspector/loadgen/report.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace cello::inspector::loadgen {

using nlohmann::json;

namespace {

// C varargs so that the compiler checks every format against its arguments (-Wformat=2).
[[gnu::format(printf, 1, 2)]] std::string printf_string(const char* fmt, ...) {
    char buf[256];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, args);
    va_end(args);
    return buf;
}

std::string percentile_label(double p) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g%%", p);
    return buf;
}

double us(double ns) { return std::round(ns / 100.0) / 10.0; }  // µs with one decimal

std::string describe_mode(const LoadConfig& c) {
    if (c.websocket)
        return "WebSocket, closed loop (each connection sends its next " + std::to_string(c.message_size) +
               "-byte message when an echo is back)";
    const std::string http2 = c.http2 ? (c.tls ? "HTTP/2 (h2), " : "HTTP/2 (h2c), ") : "";
    if (c.rate <= 0) return http2 + "closed loop (each connection sends its next request when the last is answered)";
    return http2 + printf_string("open loop at %.6g req/s, latency from each request's due time (coordinated omission corrected)",
                         c.rate);
}

json latency_json(const LatencyHistogram& h) {
    json j = {{"min", us(static_cast<double>(h.min()))}, {"max", us(static_cast<double>(h.max()))}};
    for (const double p : kReportPercentiles) j[printf_string("p%g", p)] = us(static_cast<double>(h.percentile(p)));
    return j;
}

json histogram_json(const LatencyHistogram& h) {
    json buckets = json::array();
    for (unsigned i = 0; i < LatencyHistogram::kBucketCount; ++i) {
        if (const auto n = h.bucket_count(i))
            buckets.push_back({{"lower_ns", LatencyHistogram::bucket_lower(i)}, {"width_ns", LatencyHistogram::bucket_width(i)},
                               {"count", n}});
    }
    return {{"count", h.count()}, {"buckets", std::move(buckets)}};
}

json errors_json(const ErrorCounts& e) {
    return {{"connect", e.connect}, {"read", e.read},   {"write", e.write}, {"timeout", e.timeout},
            {"status_4xx", e.status_4xx}, {"status_5xx", e.status_5xx}, {"total", e.total()}};
}

std::string errors_line(const ErrorCounts& e) {
    return "connect " + std::to_string(e.connect) + ", read " + std::to_string(e.read) + ", write " +
           std::to_string(e.write) + ", timeout " + std::to_string(e.timeout) + ", status 4xx " +
           std::to_string(e.status_4xx) + ", status 5xx " + std::to_string(e.status_5xx);
}

json result_json(const std::string& url, const LoadResult& r) {
    const auto& c = r.config;
    const auto& t = r.totals;
    json latency = latency_json(t.latency);
    latency["mean"] = us(t.mean_ns());
    latency["stdev"] = us(t.stdev_ns());
    json paths = json::array();
    for (std::size_t i = 0; i < c.targets.size(); ++i)
        paths.push_back({{"path", c.targets[i].path}, {"weight", c.targets[i].weight},
                         {"requests", i < t.per_target.size() ? t.per_target[i] : 0}});
    json status = json::object();
    for (unsigned k = 1; k <= 5; ++k) status[std::to_string(k) + "xx"] = t.status_classes[k];
    status["other"] = t.status_classes[0];
    json seconds = json::array();
    for (const auto& s : r.seconds)
        seconds.push_back({{"second", s.second}, {"span_s", s.span_s}, {"requests", s.requests},
                           {"requests_per_sec", s.requests_per_sec}, {"bytes_read", s.bytes_read}, {"errors", s.errors},
                           {"p50_us", us(static_cast<double>(s.p50_ns))}, {"p90_us", us(static_cast<double>(s.p90_ns))},
                           {"p99_us", us(static_cast<double>(s.p99_ns))}, {"max_us", us(static_cast<double>(s.max_ns))}});
    json j = {
        {"url", url},
        {"protocol", c.websocket ? "websocket" : c.http2 ? "http2" : "http"},
        {"mode", r.open_loop() ? "open" : "closed"},
        {"method", c.method},
        {"connections", c.connections},
        {"threads", c.threads},
        {"pipeline", c.pipeline},
        {"duration_s", std::chrono::duration<double>(c.duration).count()},
        {"target_rate", c.rate},
        {"elapsed_s", r.elapsed_s},
        {"stopped_early", r.stopped_early},
        {"requests", t.requests},
        {"requests_per_sec", r.requests_per_sec()},
        {"bytes_read", t.bytes_read},
        {"bytes_per_sec", r.bytes_per_sec()},
        {"latency_us", std::move(latency)},
        {"errors", errors_json(t.errors)},
        {"status", std::move(status)},
        {"paths", std::move(paths)},
        {"histogram", histogram_json(t.latency)},
        {"seconds", std::move(seconds)},
    };
    if (r.open_loop()) j["uncorrected_latency_us"] = latency_json(t.uncorrected);
    if (c.websocket) {  // a request is a message and its echo
        j["message_size"] = c.message_size;
        j["messages"] = t.requests;
        j["messages_per_sec"] = r.requests_per_sec();
    }
    return j;
}

json step_json(const CeilingStep& s) {
    return {{"phase", s.phase}, {"target_rate", s.target_rate}, {"achieved_rate", s.achieved_rate},
            {"p50_us", us(static_cast<double>(s.p50_ns))}, {"p99_us", us(static_cast<double>(s.p99_ns))},
            {"requests", s.requests}, {"errors", s.errors}, {"sustainable", s.sustainable}, {"why_not", s.why_not}};
}

}  // namespace

std::string format_latency(double ns) {
    if (ns < 1e6) return printf_string("%.2fus", ns / 1e3);
    if (ns < 1e9) return printf_string("%.2fms", ns / 1e6);
    return printf_string("%.2fs", ns / 1e9);
}

std::string format_bytes(double bytes) {
    static constexpr const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    unsigned u = 0;
    while (bytes >= 1024 && u + 1 < std::size(units)) {
        bytes /= 1024;
        ++u;
    }
    return printf_string("%.2f", bytes) + units[u];
}

std::string text_report(const std::string& url, const LoadResult& r) {
    const auto& c = r.config;
    const auto& t = r.totals;
    std::string out;
    out += "Running ";
    out += printf_string("%gs", std::chrono::duration<double>(c.duration).count());
    out += " test @ " + url + "\n";
    out += "  " + std::to_string(c.threads) + " threads and " + std::to_string(c.connections) + " connections";
    if (c.pipeline > 1) out += (c.http2 ? ", streams " : ", pipeline ") + std::to_string(c.pipeline);
    out += "\n  " + describe_mode(c) + "\n";
    out += "  Latency     Avg        Stdev      Max\n";
    char line[160];
    std::snprintf(line, sizeof line, "            %-10s %-10s %s\n", format_latency(t.mean_ns()).c_str(),
                  format_latency(t.stdev_ns()).c_str(), format_latency(static_cast<double>(t.latency.max())).c_str());
    out += line;
    out += "  Latency distribution\n";
    for (const double p : kReportPercentiles) {
        std::snprintf(line, sizeof line, "   %8s  %s\n", percentile_label(p).c_str(),
                      format_latency(static_cast<double>(t.latency.percentile(p))).c_str());
        out += line;
    }
    if (r.open_loop()) {
        out += "  Uncorrected (from send time, hides queueing): p50 " +
               format_latency(static_cast<double>(t.uncorrected.percentile(50))) + ", p99 " +
               format_latency(static_cast<double>(t.uncorrected.percentile(99))) + ", max " +
               format_latency(static_cast<double>(t.uncorrected.max())) + "\n";
    }
    if (c.targets.size() > 1) {
        out += "  Paths:";
        for (std::size_t i = 0; i < c.targets.size(); ++i)
            out += (i ? ", " : " ") + c.targets[i].path + " (weight " + std::to_string(c.targets[i].weight) + ") " +
                   std::to_string(i < t.per_target.size() ? t.per_target[i] : 0);
        out += "\n";
    }
    const char* unit = c.websocket ? " messages" : " requests";
    out += "  " + std::to_string(t.requests) + unit + " in " + printf_string("%.2fs", r.elapsed_s) + ", " +
           format_bytes(static_cast<double>(t.bytes_read)) + " read" + (r.stopped_early ? " (stopped early)" : "") + "\n";
    out += "  Errors: " + errors_line(t.errors) + "\n";
    std::snprintf(line, sizeof line, c.websocket ? "Messages/sec: %10.2f\n" : "Requests/sec: %10.2f\n", r.requests_per_sec());
    out += line;
    std::snprintf(line, sizeof line, "Transfer/sec: %10s\n", format_bytes(r.bytes_per_sec()).c_str());
    out += line;
    return out;
}

std::string json_report(const std::string& url, const LoadResult& r) { return result_json(url, r).dump(2) + "\n"; }

std::string text_report(const std::string& url, const CeilingResult& r, const CeilingConfig& config) {
    std::string out = "Ceiling search @ " + url + "\n";
    out += printf_string("  sustainable: achieved >= %g%% of target", config.min_achieved * 100) + ", p99 <= " +
           format_latency(static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(config.max_p99).count())) +
           printf_string(", errors <= %g%%\n", config.max_error_ratio * 100);
    out += "  phase    target req/s  achieved req/s    p50        p99        errors  ok\n";
    char line[200];
    for (const auto& s : r.steps) {
        std::snprintf(line, sizeof line, "  %-7s %13s %15.0f    %-10s %-10s %6llu  %s\n", s.phase.c_str(),
                      s.target_rate > 0 ? printf_string("%.0f", s.target_rate).c_str() : "max", s.achieved_rate,
                      format_latency(static_cast<double>(s.p50_ns)).c_str(), format_latency(static_cast<double>(s.p99_ns)).c_str(),
                      static_cast<unsigned long long>(s.errors), s.phase == "probe" ? "-" : (s.sustainable ? "yes" : "no"));
        out += line;
    }
    if (r.stopped) out += "Stopped before the search finished.\n";
    if (r.ceiling_rate <= 0) {
        out += "No sustainable rate found (not even " + printf_string("%.0f", r.probe_rate * config.start_fraction) + " req/s).\n";
        return out;
    }
    out += printf_string("Ceiling: %.0f req/s", r.ceiling_rate) + (r.hit_search_limit ? " (the search limit; the real one is higher)" : "") +
           printf_string(" (closed-loop maximum %.0f req/s)\n", r.probe_rate);
    for (const auto& p : r.below) {
        const auto& h = p.result.totals.latency;
        out += "  at ";
        out += printf_string("%g%%", p.fraction * 100);
        out += printf_string(" (%.0f req/s):", p.result.config.rate);
        for (const double q : {50.0, 99.0, 99.9}) {
            out += ' ';
            out += percentile_label(q);
            out += ' ';
            out += format_latency(static_cast<double>(h.percentile(q)));
        }
        out += ", max ";
        out += format_latency(static_cast<double>(h.max()));
        out += '\n';
    }
    return out;
}

std::string json_report(const std::string& url, const CeilingResult& r, const CeilingConfig& config) {
    json steps = json::array();
    for (const auto& s : r.steps) steps.push_back(step_json(s));
    json below = json::array();
    for (const auto& p : r.below) {
        json point = result_json(url, p.result);
        point["fraction"] = p.fraction;
        below.push_back(std::move(point));
    }
    json j = {
        {"url", url},
        {"mode", "ceiling"},
        {"probe_rate", r.probe_rate},
        {"ceiling_rate", r.ceiling_rate},
        {"hit_search_limit", r.hit_search_limit},
        {"stopped", r.stopped},
        {"sustainable_when",
         {{"min_achieved_ratio", config.min_achieved},
          {"max_p99_us", us(static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(config.max_p99).count()))},
          {"max_error_ratio", config.max_error_ratio}}},
        {"steps", std::move(steps)},
        {"below", std::move(below)},
    };
    return j.dump(2) + "\n";
}

}  // namespace cello::inspector::loadgen
