// One finished request as the inspector sees it: fixed size, trivially copyable, so it can travel
// through lock-free per-thread rings (not written yet) by plain copy.
#pragma once

#include "engine/middleware.hpp"
#include "engine/route_table.hpp"

#include <cstdint>
#include <type_traits>

namespace cello::inspector {

inline constexpr std::uint32_t kUnmatchedRoute = ~0u;  // no route matched (404, 405, 400)

struct RequestEvent {
    std::int64_t time_ns = 0;        // completion time, wall clock, ns since the Unix epoch
    std::int64_t latency_ns = 0;     // first byte of the request to the response written
    std::int64_t handler_ns = 0;     // time spent in the handler alone
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint32_t route_id = kUnmatchedRoute;  // Route::id, or kUnmatchedRoute
    std::uint16_t status = 0;
    std::uint16_t thread_index = 0;  // engine thread
    std::uint8_t method = engine::kUnknownMethod;  // engine::Method as an index
    engine::CacheOutcome cache = engine::CacheOutcome::None;
};

static_assert(std::is_trivially_copyable_v<RequestEvent>);
static_assert(std::is_standard_layout_v<RequestEvent>);
static_assert(sizeof(RequestEvent) == 56);

// Builds an event from the engine's Completion plus what Completion does not carry.
inline RequestEvent make_event(const engine::Completion& c, std::int64_t time_ns, unsigned thread_index,
                               std::uint64_t bytes_in = 0, std::int64_t handler_ns = 0) noexcept {
    RequestEvent e;
    e.time_ns = time_ns;
    e.latency_ns = c.latency.count();
    e.handler_ns = handler_ns;
    e.bytes_in = bytes_in;
    e.bytes_out = c.bytes_out;
    e.route_id = c.route ? c.route->id : kUnmatchedRoute;
    e.status = static_cast<std::uint16_t>(c.status < 0 ? 0 : c.status);
    e.thread_index = static_cast<std::uint16_t>(thread_index);
    e.method = c.method;
    e.cache = c.cache;
    return e;
}

}  // namespace cello::inspector
