// Fixed security headers (X-Content-Type-Options, X-Frame-Options, ...) on every response.
#pragma once

#include "engine/config.hpp"
#include "engine/middleware.hpp"

#include <memory>

namespace cello::engine {

// Settings: headers = list of (name, value); the Python layer fills in the defaults. A header the
// response already has (set by the handler) is left alone.
std::shared_ptr<Middleware> make_security_headers_middleware(const Config& config);

}  // namespace cello::engine
