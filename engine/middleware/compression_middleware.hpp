// gzip for compressible response bodies when the client accepts it (API.md: enable_compression).
#pragma once

#include "engine/config.hpp"
#include "engine/middleware.hpp"

#include <memory>
#include <string_view>

namespace cello::engine {

// Settings: min_size (bytes, default 1024), level (1..9, default 6).
std::shared_ptr<Middleware> make_compression_middleware(const Config& config);

// text/*, JSON, JavaScript, XML, +json / +xml types (so image/svg+xml); not images, archives,
// fonts or octet streams, which are compressed already or unknown. Parameters are ignored.
bool compressible_type(std::string_view content_type) noexcept;

}  // namespace cello::engine
