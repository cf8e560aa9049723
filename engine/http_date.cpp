#include "engine/http_date.hpp"

namespace cello::engine {

std::string format_http_date(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);  // Windows port: gmtime_s
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return std::string(buf, n);
}

}  // namespace cello::engine
