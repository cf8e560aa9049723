// What the rate limits (token bucket, sliding window, adaptive) share: the key a client is limited
// by, the proxies whose X-Forwarded-For is believed, and the 429 they answer.
#pragma once

#include "engine/config.hpp"
#include "engine/middleware.hpp"
#include "engine/middleware/client_address.hpp"

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace cello::engine {

using ClientKey = std::array<std::uint8_t, 16>;

// The client's address (X-Forwarded-For only from `trusted`), an IPv6 one by its /64: one
// subscriber usually holds a whole /64, and limiting single addresses in it would let one client
// rotate through 2^64 budgets.
ClientKey client_key(const Exchange& ex, const std::vector<IpNetwork>& trusted);

// The `trusted_proxies` setting; std::invalid_argument naming a bad entry.
std::vector<IpNetwork> trusted_proxies(const Config& config);

// 429 with Retry-After (whole seconds, rounded up, at least 1) and the draft RateLimit fields.
void refuse_rate_limited(Response& res, double retry_after_s, std::string_view limit);

}  // namespace cello::engine
