// Native middleware by name: what the Python layer's app.enable_*() calls turn into. The list is
// engine/middleware/registered.inc, one line per middleware.
#pragma once

#include "engine/config.hpp"
#include "engine/middleware.hpp"

#include <memory>
#include <string_view>
#include <vector>

namespace cello::engine {

struct MiddlewareEntry {
    std::shared_ptr<Middleware> middleware;
    int rank = 0;  // position in the chain: lower runs its before() earlier and its after() later
};

// Builds the middleware `name` from `config`. Throws std::invalid_argument for an unknown name or
// bad settings (the message names the setting). The names: engine/middleware/registered.inc.
MiddlewareEntry make_middleware(std::string_view name, const Config& config);
// Every registered name, in chain order.
std::vector<std::string_view> middleware_names();

}  // namespace cello::engine
