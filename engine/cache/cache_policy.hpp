// How one route's responses are cached (@cache in Python).
#pragma once

#include "engine/http_types.hpp"
#include "engine/cache/response_cache.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cello::engine {

struct CachePolicy {
    std::chrono::milliseconds ttl{60'000};
    std::vector<std::string> tags;
    std::vector<std::string> vary;  // request headers that are part of the key
    // A custom key (e.g. a Python function). Appends to `key`; false: do not cache this request.
    std::function<bool(const Request&, std::string& key)> custom_key;
    // Counted per route label and per tag; the cache keeps them across reloads.
    std::shared_ptr<CacheCounters> counters;
    std::vector<std::shared_ptr<CacheCounters>> tag_counters;
};

}  // namespace cello::engine
