#include "engine/access_log.hpp"

#include <cstdio>
#include <ctime>
#include <string>

namespace cello::engine {

void log_access(const Request& req, int status, std::size_t bytes_out, std::chrono::nanoseconds latency) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    const double ms = static_cast<double>(latency.count()) / 1e6;
    std::string target(req.target.substr(0, 512));
    // One fprintf per line: stdio locks the stream, so lines from engine threads never interleave.
    std::fprintf(stderr, "%s %.*s:%u \"%.*s %s\" %d %zuB %.3fms\n", when, static_cast<int>(req.client_ip.size()),
                 req.client_ip.data(), req.client_port, static_cast<int>(req.method.size()), req.method.data(),
                 target.c_str(), status, bytes_out, ms);
}

}  // namespace cello::engine
