// Native middleware by name: what the Python layer's app.enable_*() calls turn into.
#pragma once

#include "engine/config.hpp"
#include "engine/middleware.hpp"

#include <memory>
#include <string_view>

namespace cello::engine {

struct MiddlewareEntry {
    std::shared_ptr<Middleware> middleware;
    int rank = 0;  // position in the chain: lower runs its before() earlier and its after() later
};

// Builds the middleware `name` from `config`. Throws std::invalid_argument for an unknown name or
// bad settings (the message names the setting).
MiddlewareEntry make_middleware(std::string_view name, const Config& config);

}  // namespace cello::engine
