// One text line per request on stderr (enabled in development, off with --no-logs).
#pragma once

#include "engine/http_types.hpp"

#include <chrono>

namespace cello::engine {

void log_access(const Request& req, int status, std::size_t bytes_out, std::chrono::nanoseconds latency);

}  // namespace cello::engine
