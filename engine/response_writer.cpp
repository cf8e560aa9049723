#include "engine/response_writer.hpp"

#include "engine/status.hpp"

#include <charconv>

namespace cello::engine {

void append_response(std::string& out, const Response& res, const WireOptions& opts) {
    out += opts.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    append_decimal(out, static_cast<std::uint64_t>(res.status));
    out += ' ';
    out += reason_phrase(res.status);
    out += "\r\nServer: cello\r\nDate: ";
    out += opts.date;
    out += "\r\n";
    const bool no_body = status_forbids_body(res.status);
    if (!res.content_type.empty() && !no_body) {
        out += "Content-Type: ";
        out += res.content_type;
        out += "\r\n";
    }
    if (res.stream && res.stream_length >= 0 && !no_body) {
        out += "Content-Length: ";
        append_decimal(out, static_cast<std::uint64_t>(res.stream_length));
        out += "\r\n";
    } else if (res.stream && !no_body) {
        // HTTP/1.0 has no chunked encoding: the body ends when the connection closes.
        if (opts.version != 10) out += "Transfer-Encoding: chunked\r\n";
    } else if (!no_body) {
        out += "Content-Length: ";
        append_decimal(out, res.body.size());
        out += "\r\n";
    }
    if (!opts.keep_alive) out += "Connection: close\r\n";
    else if (opts.version == 10) out += "Connection: keep-alive\r\n";
    for (const auto& [name, value] : res.headers) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    out += "\r\n";
    if (!opts.head_only && !no_body && !res.stream) out += res.body;
}

void append_chunk(std::string& out, std::string_view chunk) {
    if (chunk.empty()) return;  // an empty chunk would end the body
    char hex[17];
    const auto r = std::to_chars(hex, hex + sizeof hex, chunk.size(), 16);
    out.append(hex, r.ptr);
    out += "\r\n";
    out += chunk;
    out += "\r\n";
}

}  // namespace cello::engine
