// What a response's own header fields allow a shared cache to do with it: RFC 9111 3 (storing),
// 4.1 (Vary), 4.2.1 (freshness lifetime) and 5.2.2 (Cache-Control response directives).
#pragma once

#include "engine/http_types.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cello::engine {

// The response directives @cache acts on. Several Cache-Control lines form one list.
struct CacheControl {
    bool no_store = false;
    bool no_cache = false;   // with or without a field-name argument
    bool private_ = false;   // with or without a field-name argument
    bool public_ = false;
    // Delta-seconds; nullopt when absent. A malformed value counts as 0 (RFC 9111 4.2.1: stale),
    // and a repeated directive keeps the smallest value (the most restrictive).
    std::optional<std::int64_t> max_age, s_maxage;

    void add(std::string_view field_value);
};

struct Storability {
    bool storable = false;
    const char* why = "";  // why not (for tests and debugging); empty when storable
    // Cache-Control: public: the response may also answer requests carrying credentials.
    bool shared = false;
    // The freshness lifetime the response gives itself (s-maxage, max-age or Expires); caps the
    // route's ttl. nullopt: none given.
    std::optional<std::chrono::seconds> lifetime;
    // The request headers named by its Vary: lowercase, sorted, unique.
    std::vector<std::string> vary;
};

// Whether `res` may be stored by a shared cache, judged by its status, body kind and header
// fields. `now` is the Unix time, for Expires without Date.
Storability judge_response(const Response& res, std::int64_t now);

}  // namespace cello::engine
