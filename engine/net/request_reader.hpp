// HTTP/1.1 request framing without a socket: bytes in, one request (or a refusal) out.
// The connection feeds what it reads; the fuzzer feeds what it invents. Beast stays in the .cpp.
//
// On top of Beast's parser it enforces what RFC 9112 asks of a server and Beast leaves to us:
// only `Transfer-Encoding: chunked` (anything else is refused, never read as a body of length 0),
// one valid Host, bounded chunk lines and trailers, no bare LF in the framing, HTTP/1.x minor
// versions above 1 read as 1.1, and empty lines before a request line skipped.
#pragma once

#include "engine/http_types.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cello::engine::net {

struct RequestLimits {
    std::size_t max_header_bytes = 16 * 1024;  // request line + fields; also one chunk line, and the trailers
    std::uint64_t max_body_bytes = 16 * 1024 * 1024;
};

class RequestReader {
public:
    enum class State { NeedMore, Done, Failed };

    RequestReader();
    ~RequestReader();
    RequestReader(const RequestReader&) = delete;
    RequestReader& operator=(const RequestReader&) = delete;

    // Begins a new request; views of the previous one become invalid.
    void start(const RequestLimits& limits);
    // Whether a request has begun (start() was called and it is not finished or abandoned).
    bool active() const noexcept;
    void reset() noexcept;  // no request in progress

    // Feeds bytes (the start of the unread input); `used` tells how many belong to this request.
    // The buffer is writable because a request line's "HTTP/1.2" is rewritten to 1.1 in place.
    // After Done, the rest of the input is the next request's; after Failed, the stream is lost.
    State put(char* data, std::size_t size, std::size_t& used);

    bool header_done() const noexcept;
    // The client waits for "100 Continue" before it sends the body (HTTP/1.1 only).
    bool expect_continue() const noexcept;
    bool keep_alive() const noexcept;

    // After Failed: the status to answer (400, 413, 431, 501) and why.
    int error_status() const noexcept;
    std::string_view error_detail() const noexcept;

    // The request, valid from header_done() (body from Done) until the next start().
    std::string_view method() const noexcept;
    std::string_view target() const noexcept;
    const Header* headers() const noexcept;
    std::size_t header_count() const noexcept;
    std::string_view body() const noexcept;
    unsigned version() const noexcept;  // 10 or 11

    // The body as it arrives (from header_done()): its declared length (nullopt when chunked),
    // the bytes decoded and not taken yet, and taking them (appended to `out`), so that a body
    // handed to the handler in pieces is not also kept here. Trailers are never kept.
    std::optional<std::uint64_t> content_length() const noexcept;
    std::size_t body_size() const noexcept;
    void take_body(std::string& out);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// RFC 9110 §7.2 / RFC 3986 §3.2.2: uri-host [ ":" port ]. Empty is valid (a target without authority).
bool valid_host_field(std::string_view value) noexcept;

}  // namespace cello::engine::net
