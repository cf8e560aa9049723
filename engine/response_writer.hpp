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

// Status line, headers and (unless streamed or HEAD) the body. A streamed response of unknown size
// gets Transfer-Encoding: chunked; its chunks follow with append_chunk and end with kLastChunk. One
// of known size (Response::stream_length) gets Content-Length and its bytes follow as they are.
void append_response(std::string& out, const Response& res, const WireOptions& opts);

void append_chunk(std::string& out, std::string_view chunk);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace cello::engine
