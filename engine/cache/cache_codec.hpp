// A cached response as bytes, for a cache tier outside the process (Redis): what serving it needs
// (status, content type, headers, body, path, tags, Cache-Control: public) and when it was stored
// and expires, in wall-clock milliseconds (the processes of a fleet share no steady clock).
#pragma once

#include "engine/cache/response_cache.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cello::engine {

std::int64_t unix_millis_now();

std::string encode_cached(const CachedResponse& entry, std::int64_t stored_unix_ms, std::int64_t expires_unix_ms);

// The entry, its steady-clock times made from the wall-clock ones; null for bytes that are not an
// entry of this format (another version's, damaged) or one already expired at `now_unix_ms`.
std::shared_ptr<CachedResponse> decode_cached(std::string_view bytes, std::int64_t now_unix_ms,
                                              std::chrono::steady_clock::time_point now);

}  // namespace cello::engine
