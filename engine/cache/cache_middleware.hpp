// Serves @cache routes from the ResponseCache: hits never reach the handler (nor Python).
#pragma once

#include "engine/middleware.hpp"
#include "engine/cache/response_cache.hpp"

#include <memory>

namespace cello::engine {

inline constexpr int kCacheRank = 90;  // innermost: right around the handler

class CacheMiddleware final : public Middleware {
public:
    explicit CacheMiddleware(std::shared_ptr<ResponseCache> cache) : cache_(std::move(cache)) {}

    bool before(Exchange& ex) override;
    void after(Exchange& ex) override;

private:
    std::shared_ptr<ResponseCache> cache_;
};

// Appends the cache key of a request for `policy`-less defaults: method, path, sorted query and the
// named request headers. Public for the unit tests.
void append_cache_key(std::string& key, const Request& req, const std::vector<std::string>& vary);

}  // namespace cello::engine
