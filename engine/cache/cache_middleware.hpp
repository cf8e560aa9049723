// Serves @cache routes from the ResponseCache: hits never reach the handler (nor Python). With a
// far tier (Redis), a near miss asks it before the handler runs.
#pragma once

#include "engine/middleware.hpp"
#include "engine/cache/response_cache.hpp"

#include <memory>

namespace cello::engine {

inline constexpr int kCacheRank = 90;  // innermost: right around the handler

// Which requests may use the cache and which responses are stored is in docs/caching.md: requests
// with unkeyed credentials only read entries marked public (Bypass otherwise), and responses are
// judged by response_storability.hpp.
class CacheMiddleware final : public Middleware {
public:
    explicit CacheMiddleware(std::shared_ptr<ResponseCache> cache) : cache_(std::move(cache)) {}

    bool before(Exchange& ex) override;
    void after(Exchange& ex) override;
    void abandon(Exchange& ex) override;

private:
    bool ask_far_tier(Exchange& ex);

    std::shared_ptr<ResponseCache> cache_;
};

}  // namespace cello::engine
