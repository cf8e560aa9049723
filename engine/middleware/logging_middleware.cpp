#include "engine/middleware/logging_middleware.hpp"

#include "engine/json_escape.hpp"

#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <string>

namespace cello::engine {

namespace {

class LoggingMiddleware final : public Middleware {
public:
    explicit LoggingMiddleware(bool json) : json_(json) {}

    void after(Exchange& ex) override {
        const auto latency = std::chrono::steady_clock::now() - ex.start;
        const double ms = static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(latency).count()) / 1000.0;
        const std::time_t now = std::time(nullptr);
        std::tm tm{};
        localtime_r(&now, &tm);  // Windows port: localtime_s
        char when[40];
        std::strftime(when, sizeof when, json_ ? "%Y-%m-%dT%H:%M:%S%z" : "%Y-%m-%d %H:%M:%S", &tm);
        const Request& req = ex.req;
        const std::string bytes = ex.res.stream ? "-" : std::to_string(ex.head_only ? 0 : ex.res.body.size());
        std::string line;
        line.reserve(160 + req.target.size());
        if (json_) {
            line += "{\"time\":\"";
            line += when;
            line += "\",\"client\":";
            append_json_string(line, std::string(req.client_ip) + ":" + std::to_string(req.client_port));
            line += ",\"method\":";
            append_json_string(line, req.method);
            line += ",\"path\":";
            append_json_string(line, req.target);
            line += ",\"status\":" + std::to_string(ex.res.status);
            line += ",\"latency_ms\":" + format_ms(ms);
            line += ",\"bytes\":" + (bytes == "-" ? std::string("null") : bytes);
            line += ",\"cache\":";
            append_json_string(line, cache_outcome_name(ex.cache));
            line += ",\"request_id\":";
            if (ex.request_id.empty()) line += "null";
            else append_json_string(line, ex.request_id);
            line += "}\n";
        } else {
            line += when;
            line += ' ';
            line += req.client_ip;
            line += ':' + std::to_string(req.client_port) + " \"";
            line += req.method;
            line += ' ';
            line += req.target.substr(0, 2048);
            line += "\" " + std::to_string(ex.res.status) + ' ' + bytes + "B " + format_ms(ms) + "ms ";
            line += cache_outcome_name(ex.cache);
            if (!ex.request_id.empty()) line += " " + ex.request_id;
            line += '\n';
        }
        // One write per line: stdio locks the stream, so lines of engine threads never interleave.
        std::fwrite(line.data(), 1, line.size(), stderr);
    }

private:
    static std::string format_ms(double ms) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.3f", ms);
        return buf;
    }

    bool json_;
};

}  // namespace

std::shared_ptr<Middleware> make_logging_middleware(const Config& config) {
    const std::string format = config.get_string("format", "text");
    if (format != "text" && format != "json") throw std::invalid_argument("log format must be 'text' or 'json'");
    return std::make_shared<LoggingMiddleware>(format == "json");
}

}  // namespace cello::engine
