// The fleet's tier of the response cache, in Redis (docs/caching.md, "Across servers: Redis").
// Entries are stored under <prefix>c:<cache key> with the route's TTL, and listed in a set per tag
// (<prefix>t:<tag>) and per path (<prefix>p:<path>) for invalidation. Each engine thread talks to
// Redis over its own pipelined connection, on its own reactor (no thread hop, no GIL); one thread
// per process carries invalidations: a Lua script deletes the entries and publishes the
// invalidation on <prefix>invalidate, and a subscription applies the other processes' ones to
// this process's near tier. While Redis cannot be reached, lookups go straight to the handler and
// invalidations wait (bounded) to be replayed; the outage and the recovery are logged once each.
#pragma once

#include "engine/cache/far_cache_tier.hpp"
#include "engine/redis/redis_settings.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace cello::engine {

class RedisCacheTier final : public FarCacheTier {
public:
    using Log = std::function<void(const std::string&)>;
    // Starts the invalidation thread. `near`: the process's cache, which other processes'
    // invalidations are applied to (held weakly: it owns this tier).
    RedisCacheTier(RedisSettings settings, std::weak_ptr<ResponseCache> near, Log log);
    ~RedisCacheTier() override;  // stops the invalidation thread and every engine thread's connection
    RedisCacheTier(const RedisCacheTier&) = delete;
    RedisCacheTier& operator=(const RedisCacheTier&) = delete;

    bool fetch(const std::string& key, Found done) override;
    void store(const std::string& key, const CachedResponse& entry, std::chrono::milliseconds ttl) override;
    void invalidated(const std::vector<std::string>& tags, std::optional<std::string_view> path) override;
    std::chrono::milliseconds timeout() const noexcept override;

    // Subscribed to the invalidation channel right now (what a readiness check asks).
    bool listening() const noexcept;

    struct Shared;  // what the engine threads' connections share with the tier (and may outlive it)

private:
    class Control;
    std::shared_ptr<Shared> shared_;
    std::unique_ptr<Control> control_;
};

}  // namespace cello::engine
