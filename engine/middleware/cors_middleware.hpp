// CORS (Fetch standard): preflights answered natively, Access-Control-* on actual responses.
#pragma once

#include "engine/config.hpp"
#include "engine/middleware.hpp"

#include <memory>
#include <string_view>

namespace cello::engine {

// Settings: origins (["*"] = any), methods (["*"] = any), headers (["*"] = reflect the
// preflight's Access-Control-Request-Headers), expose_headers, credentials, max_age (seconds).
std::shared_ptr<Middleware> make_cors_middleware(const Config& config);

// A serialized origin: "null", or scheme "://" host [":" port] with no path, userinfo, spaces
// or second value. Anything else is not an origin a browser sends and gets no CORS headers.
bool valid_origin(std::string_view origin) noexcept;

}  // namespace cello::engine
