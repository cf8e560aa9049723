// One finished request as the engine reports it to the inspector: fixed size and trivially
// copyable, so it travels through the per-thread rings by plain copy (no allocation).
#pragma once

#include "engine/middleware.hpp"

#include <cstdint>
#include <string_view>
#include <type_traits>

namespace cello::engine {

inline constexpr std::uint32_t kUnmatchedRoute = ~0u;  // no route matched (404, 405, 400)

struct RequestEvent {
    static constexpr std::size_t kPathCapacity = 52;  // longer paths are cut (path_truncated)

    std::int64_t time_ns = 0;        // completion time, wall clock, ns since the Unix epoch
    std::int64_t latency_ns = 0;     // first byte of the request to the response written
    std::int64_t handler_ns = 0;     // time spent in the handler alone (0 when none ran)
    std::uint64_t bytes_in = 0;      // the request as received: request line, headers, body
    std::uint64_t bytes_out = 0;
    std::uint32_t route_id = kUnmatchedRoute;  // Route::id in the table that routed it, or kUnmatchedRoute
    std::uint32_t table_generation = 0;        // RouteTable::generation() of that table
    std::uint16_t status = 0;
    std::uint16_t thread_index = 0;  // engine thread
    std::uint32_t detail_seq = 0;    // with detail capture on: its DetailRecord's seq on this thread
    std::uint32_t db_us = 0;         // time in database queries (µs), from the handler's trace
    std::uint16_t db_queries = 0;    // queries the handler ran (saturates)
    std::uint16_t db_repeats = 0;    // runs of its most repeated statement (N+1 shows here)
    std::uint8_t method = kUnknownMethod;  // Method as an index
    CacheOutcome cache = CacheOutcome::None;
    std::uint8_t http_version = 11;  // 10, 11 (HTTP/1.x) or 20 (HTTP/2)
    std::uint8_t tls_version = 0;    // 12 or 13 (TLS 1.2, 1.3); 0 over cleartext
    std::uint8_t path_len = 0;
    bool path_truncated = false;
    char path_data[kPathCapacity] = {};  // the decoded path (not the query)

    std::string_view path() const noexcept { return {path_data, path_len}; }
    void set_path(std::string_view p) noexcept;
};

static_assert(std::is_trivially_copyable_v<RequestEvent>);
static_assert(std::is_standard_layout_v<RequestEvent>);
static_assert(sizeof(RequestEvent) == 128);

inline void RequestEvent::set_path(std::string_view p) noexcept {
    std::size_t n = p.size();
    path_truncated = n > kPathCapacity;
    if (path_truncated) {
        n = kPathCapacity;
        // Cut on a character boundary: the first dropped byte must not continue a UTF-8 sequence.
        while (n > 0 && (static_cast<unsigned char>(p[n]) & 0xC0) == 0x80) --n;
    }
    path_len = static_cast<std::uint8_t>(n);
    for (std::size_t i = 0; i < n; ++i) path_data[i] = p[i];
}

}  // namespace cello::engine
