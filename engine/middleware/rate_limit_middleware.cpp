#include "engine/middleware/rate_limit_middleware.hpp"

#include "engine/cluster/shared_rate_table.hpp"

#include "engine/middleware/rate_limit_common.hpp"
#include "engine/middleware/token_bucket.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

namespace cello::engine {

namespace {

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
        const auto now = std::chrono::nanoseconds(std::chrono::steady_clock::now().time_since_epoch()).count();
        const auto key = client_key(ex, trusted_);
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
        refuse_rate_limited(ex.res, retry_after, limit_);
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
    std::vector<IpNetwork> trusted = trusted_proxies(config);
    return std::make_shared<RateLimitMiddleware>(static_cast<double>(requests) / per, burst,
                                                 static_cast<std::size_t>(max_entries), std::move(trusted),
                                                 cluster::ClusterLink::current());
}

}  // namespace cello::engine
