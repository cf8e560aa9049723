// Serialises a Response into HTTP/1.1 wire bytes.
#pragma once

#include "engine/http_types.hpp"

#include <string>
#include <string_view>

namespace cello::engine {

struct WireOptions {
    bool head_only = false;    // HEAD: headers (with the body's Content-Length) but no body
    bool keep_alive = true;
    unsigned version = 11;
    std::string_view date;     // preformatted IMF-fixdate
};

void append_response(std::string& out, const Response& res, const WireOptions& opts);

}  // namespace cello::engine
