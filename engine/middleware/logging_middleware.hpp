// The request log: one line per request on stderr, text or JSON.
#pragma once

#include "engine/config.hpp"
#include "engine/middleware.hpp"

#include <memory>

namespace cello::engine {

// Settings: format = "text" (default) | "json".
std::shared_ptr<Middleware> make_logging_middleware(const Config& config);

}  // namespace cello::engine
