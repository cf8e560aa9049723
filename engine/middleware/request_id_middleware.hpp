// A request id per request: the client's (or upstream proxy's) when sane, else a new UUID4.
// Visible as request.id in handlers, in the access log and in the response header.
#pragma once

#include "engine/config.hpp"
#include "engine/middleware.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace cello::engine {

// Settings: header (default "X-Request-ID").
std::shared_ptr<Middleware> make_request_id_middleware(const Config& config);

// 1..128 visible ASCII characters without quotes or backslashes: safe to log, echo in a header
// and embed in JSON or a shell line without escaping surprises.
bool sane_request_id(std::string_view id) noexcept;

// A random UUID4 (36 characters) from a per-thread PRNG: no system call per id.
void new_request_id(std::string& out);

}  // namespace cello::engine
