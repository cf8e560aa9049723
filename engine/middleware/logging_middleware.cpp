#include "engine/middleware/logging_middleware.hpp"

#include "engine/json_escape.hpp"
#include "engine/platform/civil_time.hpp"

#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <string>

namespace cello::engine {

namespace {

// The line is begun in after() (what the request was) and finished in complete(), once the
// response is written: its latency and size are then the same figures the inspector and the
// metrics report (Completion), not an earlier moment's.
class LoggingMiddleware final : public Middleware {
public:
    explicit LoggingMiddleware(bool json) : json_(json) {}

    void after(Exchange& ex) override {
        const platform::LocalTime local = platform::local_time(std::time(nullptr));
        char when[40];
        std::size_t n = std::strftime(when, sizeof when, json_ ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &local.tm);
        if (json_) {  // the zone as +hhmm (strftime's %z is a zone name on Windows)
            const long off = local.utc_offset_seconds, mag = off < 0 ? -off : off;
            std::snprintf(when + n, sizeof when - n, "%c%02ld%02ld", off < 0 ? '-' : '+', mag / 3600, mag / 60 % 60);
        }
        const Request& req = ex.req;
        if (!ex.log_line) ex.log_line = std::make_unique<std::string>();
        std::string& line = *ex.log_line;
        line.clear();
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
            line += ",\"request_id\":";
            if (ex.request_id.empty()) line += "null";
            else append_json_string(line, ex.request_id);
        } else {
            line += when;
            line += ' ';
            line += req.client_ip;
            line += ':' + std::to_string(req.client_port) + " \"";
            line += req.method;
            line += ' ';
            line += req.target.substr(0, 2048);
            line += '"';
            if (!ex.request_id.empty()) line += kIdMark + ex.request_id;  // goes last: see complete()
        }
    }

    void complete(const Completion& c, unsigned) override {
        if (!c.log_line) return;  // its after() did not run (an inner before() answered early)
        const double ms = std::chrono::duration<double, std::milli>(c.latency).count();  // rounded as the studio does
        std::string line;
        const std::string& begun = *c.log_line;
        line.reserve(begun.size() + 64);
        if (json_) {
            line += begun;
            line += ",\"status\":" + std::to_string(c.status);
            line += ",\"latency_ms\":" + format_ms(ms);
            line += ",\"bytes_sent\":" + std::to_string(c.bytes_out);
            line += ",\"cache\":";
            append_json_string(line, cache_outcome_name(c.cache));
            line += "}\n";
        } else {
            const auto id = begun.find(kIdMark);
            line.append(begun, 0, id);
            line += ' ' + std::to_string(c.status) + ' ' + std::to_string(c.bytes_out) + "B " + format_ms(ms) + "ms ";
            line += cache_outcome_name(c.cache);
            if (id != std::string::npos) line.append(" ").append(begun, id + 1);
            line += '\n';
        }
        // One write per line: stdio locks the stream, so lines of engine threads never interleave.
        std::fwrite(line.data(), 1, line.size(), stderr);
    }

private:
    static constexpr char kIdMark = '\x1f';  // separates the request id, which the text line ends with

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
