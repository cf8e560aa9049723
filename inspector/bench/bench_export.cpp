#include "inspector/bench/bench_export.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace cello::inspector::bench {

namespace {

using nlohmann::json;

json errors_json(const loadgen::ErrorCounts& e) {
    return {{"connect", e.connect},       {"read", e.read},     {"write", e.write}, {"timeout", e.timeout},
            {"status_4xx", e.status_4xx}, {"status_5xx", e.status_5xx}, {"total", e.total()}};
}

double us(double ns) { return ns / 1e3; }

// Quoted only when it has to be: a comma, a quote or a line break inside.
std::string csv_field(const std::string& v) {
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string out = "\"";
    for (const char c : v) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

}  // namespace

std::string run_json(const BenchRun& run) {
    const auto& st = run.settings;
    const auto& s = run.summary;
    json report = run.report_json.empty() ? json(nullptr) : json::parse(run.report_json, nullptr, false);
    if (report.is_discarded()) report = nullptr;
    json j = {
        {"id", run.id},
        {"started_at", run.started_at},
        {"app_file", run.app_file},
        {"git_commit", run.git_commit ? json(*run.git_commit) : json(nullptr)},
        {"settings",
         {{"url", st.url}, {"method", st.method}, {"body", st.body}, {"connections", st.connections},
          {"threads", st.threads}, {"duration_s", st.duration_s}, {"rate", st.rate}, {"ceiling", st.ceiling},
          {"headers", st.headers}, {"paths", st.paths}, {"pipeline", st.pipeline}, {"timeout_s", st.timeout_s},
          {"max_p99_ms", st.max_p99_ms}, {"http2", st.http2}}},
        {"summary",
         {{"requests", s.requests}, {"elapsed_s", s.elapsed_s}, {"requests_per_sec", s.requests_per_sec},
          {"p50_us", us(static_cast<double>(s.p50_ns))}, {"p90_us", us(static_cast<double>(s.p90_ns))},
          {"p99_us", us(static_cast<double>(s.p99_ns))}, {"p99_9_us", us(static_cast<double>(s.p999_ns))},
          {"max_us", us(static_cast<double>(s.max_ns))}, {"mean_us", us(s.mean_ns)}, {"errors", errors_json(s.errors)},
          {"stopped_early", s.stopped_early}, {"ceiling_rate", s.ceiling_rate}}},
        {"report", std::move(report)},
    };
    return j.dump(2) + "\n";
}

std::string runs_csv(const std::vector<BenchRun>& runs) {
    std::string out =
        "id,started_at,url,method,connections,threads,duration_s,rate,ceiling,app_file,git_commit,requests,"
        "elapsed_s,requests_per_sec,p50_us,p90_us,p99_us,p99_9_us,max_us,mean_us,errors,err_connect,err_read,"
        "err_write,err_timeout,err_4xx,err_5xx,stopped_early,ceiling_rate,headers,paths,pipeline,timeout_s,"
        "max_p99_ms,http2\r\n";
    for (const auto& r : runs) {
        const auto& st = r.settings;
        const auto& s = r.summary;
        const auto& e = s.errors;
        const std::vector<std::string> fields = {
            std::to_string(r.id), r.started_at, st.url, st.method, std::to_string(st.connections),
            std::to_string(st.threads), number(st.duration_s), number(st.rate), st.ceiling ? "1" : "0", r.app_file,
            r.git_commit.value_or(""), std::to_string(s.requests), number(s.elapsed_s), number(s.requests_per_sec),
            number(us(static_cast<double>(s.p50_ns))), number(us(static_cast<double>(s.p90_ns))),
            number(us(static_cast<double>(s.p99_ns))), number(us(static_cast<double>(s.p999_ns))),
            number(us(static_cast<double>(s.max_ns))), number(us(s.mean_ns)), std::to_string(e.total()),
            std::to_string(e.connect), std::to_string(e.read), std::to_string(e.write), std::to_string(e.timeout),
            std::to_string(e.status_4xx), std::to_string(e.status_5xx), s.stopped_early ? "1" : "0",
            number(s.ceiling_rate), st.headers, st.paths, std::to_string(st.pipeline), number(st.timeout_s),
            number(st.max_p99_ms), st.http2 ? "1" : "0"};
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (i) out += ',';
            out += csv_field(fields[i]);
        }
        out += "\r\n";
    }
    return out;
}

}  // namespace cello::inspector::bench
