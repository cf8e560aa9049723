// A response cache tier shared beyond this process: the fleet's (Redis: engine/redis/). The
// ResponseCache of each process is the near tier in front of it: a near hit never asks the far tier,
// a near miss asks it before calling the handler, and a leader's stored entry goes to both.
#pragma once

#include "engine/cache/response_cache.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cello::engine {

class FarCacheTier {
public:
    virtual ~FarCacheTier() = default;

    // Called with the entry found (null: none, or the tier failed), once, on any thread.
    using Found = std::function<void(std::shared_ptr<CachedResponse>)>;
    // On an engine thread, for a near miss: false when the tier cannot be asked now (unreachable,
    // or not on an engine thread); `done` is then never called.
    virtual bool fetch(const std::string& key, Found done) = 0;
    // On an engine thread: a leader's entry (not one with Vary), stored for `ttl`. Fire and forget.
    virtual void store(const std::string& key, const CachedResponse& entry, std::chrono::milliseconds ttl) = 0;
    // An invalidation made in this process (the near tier already applied it): remove the entries
    // from the far tier and tell the other processes. Any thread; must not block.
    virtual void invalidated(const std::vector<std::string>& tags, std::optional<std::string_view> path) = 0;
    // How long a near miss waits for fetch() before its handler is called instead.
    virtual std::chrono::milliseconds timeout() const noexcept = 0;
};

}  // namespace cello::engine
