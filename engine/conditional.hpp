// Validators, conditional requests and byte ranges (RFC 9110 8.8, 13, 14) for representations the
// engine serves itself (files). Used by engine/file_response.cpp; the parsers are public for tests.
#pragma once

#include "engine/http_types.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace cello::engine {

// A Range header evaluated against a representation of `size` bytes (RFC 9110 14.2).
enum class RangeKind : std::uint8_t {
    Ignore,         // no header, another unit, malformed, or several ranges: send the whole file (200)
    Satisfiable,    // 206 with [first, last]
    Unsatisfiable,  // 416 with Content-Range: bytes */size
};
struct RangeResult {
    RangeKind kind = RangeKind::Ignore;
    std::uint64_t first = 0;  // inclusive
    std::uint64_t last = 0;   // inclusive
};
RangeResult parse_range(std::string_view header, std::uint64_t size) noexcept;

// If-None-Match evaluation: true when `header` is "*" or lists an entity tag that weakly matches
// `etag` (RFC 9110 8.8.3.2: equal opaque tags, W/ ignored).
bool etag_list_matches(std::string_view header, std::string_view etag) noexcept;

// "<size hex>-<mtime ns hex>" in quotes: a strong validator (see docs/middleware-static.md).
std::string make_etag(std::uint64_t size, std::int64_t mtime_ns);

// True when the request's If-None-Match (every header line; it wins when present) or else its
// If-Modified-Since says the client's copy is current (RFC 9110 13.2.2). `mtime` in seconds.
bool not_modified(const Request& req, std::string_view etag, std::int64_t mtime);

// The Range to honour for a GET: its parse, or Ignore when there is none or when If-Range says the
// client's copy is stale (an entity tag must match strongly, a date must equal Last-Modified).
RangeResult requested_range(const Request& req, std::string_view etag, std::int64_t mtime, std::uint64_t size);

}  // namespace cello::engine
