#include "engine/middleware/rate_limit_common.hpp"

#include "engine/status.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace cello::engine {

ClientKey client_key(const Exchange& ex, const std::vector<IpNetwork>& trusted) {
    const IpAddress a = client_address(ex.req, trusted);
    ClientKey k = a.bytes;
    if (!a.is_v4()) std::fill(k.begin() + 8, k.end(), 0);
    return k;
}

std::vector<IpNetwork> trusted_proxies(const Config& config) {
    std::vector<IpNetwork> trusted;
    for (const auto& p : config.get_strings("trusted_proxies", {})) {
        const auto net = parse_network(p);
        if (!net) throw std::invalid_argument("trusted proxy '" + p + "' is not an IP address or CIDR block");
        trusted.push_back(*net);
    }
    return trusted;
}

void refuse_rate_limited(Response& res, double retry_after_s, std::string_view limit) {
    make_error(res, 429, "rate limit exceeded");
    // Whole seconds (RFC 9110 10.2.3), rounded up so a client that waits is not refused again.
    const double wait = std::max(1.0, std::ceil(retry_after_s));
    res.headers.emplace_back("Retry-After", std::to_string(static_cast<long long>(wait)));
    // The draft RateLimit fields, on refusals only: an allowed request's budget would have to be
    // carried from before() to after() (a cache hit replaces the headers in between).
    res.headers.emplace_back("RateLimit-Limit", std::string(limit));
    res.headers.emplace_back("RateLimit-Remaining", "0");
}

}  // namespace cello::engine
