// Token-bucket rate limit per client address (API.md: enable_rate_limit(RateLimitConfig)).
#pragma once

#include "engine/config.hpp"
#include "engine/middleware.hpp"

#include <memory>

namespace cello::engine {

// Settings: requests and per (seconds): the refill rate; burst (default: requests): the bucket
// size; trusted_proxies: addresses or CIDR blocks whose X-Forwarded-For is believed;
// max_entries (default 100000): client addresses tracked at once.
std::shared_ptr<Middleware> make_rate_limit_middleware(const Config& config);

}  // namespace cello::engine
