#include "engine/middleware/rate_limit_middleware.hpp"

#include "engine/cluster/shared_rate_table.hpp"

#include "engine/middleware/client_address.hpp"
#include "engine/status.hpp"
#include "engine/middleware/token_bucket.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

namespace cello::engine {

namespace {

// One IPv6 subscriber usually holds a whole /64: limiting single addresses in it would let one
// client rotate through 2^64 buckets.
TokenBuckets::Key bucket_key(const IpAddress& a) {
    TokenBuckets::Key k = a.bytes;
    if (!a.is_v4()) std::fill(k.begin() + 8, k.end(), 0);
    return k;
}

class RateLimitMiddleware final : public Middleware {
public:
    // In cluster mode (a ClusterLink), the buckets are the whole server's, in shared memory.
    RateLimitMiddleware(double rate, std::int64_t burst, std::size_t max_entries, std::vector<IpNetwork> trusted,
                        std::shared_ptr<cluster::ClusterLink> link)
        : trusted_(std::move(trusted)), limit_(std::to_string(burst)) {
        if (link) {
            const std::string id = std::to_string(rate) + '/' + limit_;
            shared_.emplace(std::move(link), cluster::stable_hash(id), rate, static_cast<double>(burst));
        } else {
            local_.emplace(rate, static_cast<double>(burst), max_entries);
        }
    }

    bool before(Exchange& ex) override {
        const IpAddress client = client_address(ex.req, trusted_);
        const auto now = std::chrono::nanoseconds(std::chrono::steady_clock::now().time_since_epoch()).count();
        const auto key = bucket_key(client);
        double retry_after = 0;
        if (local_) {
            const auto d = local_->take(key, now);
            if (d.allowed) return false;
            retry_after = d.retry_after;
        } else {
            const auto d = shared_->take(key, now);
            if (d.allowed) return false;
            retry_after = d.retry_after;
        }
        Response& res = ex.res;
        make_error(res, 429, "rate limit exceeded");
        // Whole seconds (RFC 9110 10.2.3), rounded up so a client that waits is not refused again.
        const double wait = std::max(1.0, std::ceil(retry_after));
        res.headers.emplace_back("Retry-After", std::to_string(static_cast<long long>(wait)));
        // The draft RateLimit fields, on refusals only: an allowed request's budget would have to
        // be carried from before() to after() (a cache hit replaces the headers in between).
        res.headers.emplace_back("RateLimit-Limit", limit_);
        res.headers.emplace_back("RateLimit-Remaining", "0");
        return true;
    }

private:
    std::optional<TokenBuckets> local_;
    std::optional<cluster::SharedRateTable> shared_;
    std::vector<IpNetwork> trusted_;
    std::string limit_;
};

}  // namespace

std::shared_ptr<Middleware> make_rate_limit_middleware(const Config& config) {
    const std::int64_t requests = config.get_int("requests", 100);
    const double per = config.get_double("per", 60.0);
    const std::int64_t burst = config.get_int("burst", requests);
    const std::int64_t max_entries = config.get_int("max_entries", 100'000);
    if (requests < 1 || !(per > 0) || !std::isfinite(per))
        throw std::invalid_argument("rate limit needs requests >= 1 and per > 0");
    if (burst < 1) throw std::invalid_argument("rate limit burst must be >= 1");
    if (max_entries < 1) throw std::invalid_argument("rate limit max_entries must be >= 1");
    std::vector<IpNetwork> trusted;
    for (const auto& p : config.get_strings("trusted_proxies", {})) {
        const auto net = parse_network(p);
        if (!net) throw std::invalid_argument("trusted proxy '" + p + "' is not an IP address or CIDR block");
        trusted.push_back(*net);
    }
    return std::make_shared<RateLimitMiddleware>(static_cast<double>(requests) / per, burst,
                                                 static_cast<std::size_t>(max_entries), std::move(trusted),
                                                 cluster::ClusterLink::current());
}

}  // namespace cello::engine
