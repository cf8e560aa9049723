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
    // Request headers that are part of the key: lowercase, sorted, no duplicates (set_vary()).
    std::vector<std::string> vary;
    // Authorization / Cookie are in `vary`: requests carrying them may use the cache, each
    // credential with its own entries. Otherwise such requests bypass it (docs/caching.md).
    bool keys_authorization = false;
    bool keys_cookie = false;
    // A custom key (e.g. a Python function). Appends to `key`; false: do not cache this request.
    std::function<bool(const Request&, std::string& key)> custom_key;
    // Counted per route label and per tag; the cache keeps them across reloads.
    std::shared_ptr<CacheCounters> counters;
    std::vector<std::shared_ptr<CacheCounters>> tag_counters;

    // Sets `vary` and the keys_* flags. Throws std::invalid_argument for a name that is not an
    // HTTP field name (RFC 9110 5.1: a token) or is "*".
    void set_vary(const std::vector<std::string>& names);
};

}  // namespace cello::engine
