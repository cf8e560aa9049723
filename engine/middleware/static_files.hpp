// Static files: app.static(prefix, directory) served natively (ETag, Last-Modified, Range, streaming).
// This file maps request paths onto the directory and refuses what must not be served; the
// answer for one file is engine/file_response.hpp. Behaviour: docs/middleware-static.md.
#pragma once

#include "engine/config.hpp"
#include "engine/middleware.hpp"

#include <memory>

namespace cello::engine {

// Settings: prefix ("/static", no trailing slash; "/" serves the whole path space), directory
// (must exist), max_age (seconds for Cache-Control, default 3600), mime_types (the mime.types file to
// read, default /etc/mime.types; a missing file leaves the built-in table).
// Throws std::invalid_argument for bad settings.
std::shared_ptr<Middleware> make_static_middleware(const Config& config);

}  // namespace cello::engine
