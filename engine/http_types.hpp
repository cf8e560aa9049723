// The engine's own request and response types. Headers expose these, never Beast.
#pragma once

#include "engine/request_body.hpp"
#include "engine/telemetry/request_trace.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cello::engine {

struct Header {
    std::string_view name;   // as received
    std::string_view value;
};

enum class ParamType : std::uint8_t { String, Int, Path };

struct PathParam {
    std::string_view name;
    std::string_view value;
    ParamType type = ParamType::String;
};

inline constexpr std::size_t kMaxParams = 16;

struct Route;    // route_table.hpp
struct TlsInfo;  // tls/tls_info.hpp

// The result of routing one path: which route, and its parameters as views into the path.
struct RouteMatch {
    const Route* route = nullptr;
    std::array<PathParam, kMaxParams> params{};
    std::size_t param_count = 0;
};

// One request as the handler sees it. Every view points into connection-owned storage that
// stays valid until the response has been produced.
struct Request {
    std::string_view method;
    std::string_view target;     // raw request-target
    std::string_view raw_path;   // target without the query, not decoded
    std::string_view path;       // percent-decoded
    std::string_view query;      // raw query string (without '?')
    const Header* headers = nullptr;
    std::size_t header_count = 0;
    std::string_view body;
    // Set when the body is still arriving (larger than the server's body_buffer_bytes): `body` is
    // empty and the handler takes the body from here as the connection reads it.
    std::shared_ptr<RequestBody> body_stream;
    RouteMatch match;
    std::string_view client_ip;
    std::uint16_t client_port = 0;
    unsigned version = 11;       // 10 or 11
    std::string_view id;         // request id, when the request-id middleware is on
    const TlsInfo* tls = nullptr;  // set when the connection is TLS
    // What the handler should record of its queries and log lines (an inspector is attached).
    TraceLevel trace = TraceLevel::Off;

    // Case-insensitive lookup of the first header with this name; empty if absent.
    std::string_view header(std::string_view name) const;
    // Every field back to its default, except the parameter array beyond param_count (never read):
    // a connection reuses one Request, and zeroing ~700 bytes of parameters per request shows.
    void reset() noexcept {
        method = target = raw_path = path = query = body = client_ip = id = {};
        headers = nullptr;
        header_count = 0;
        if (body_stream) body_stream.reset();
        match.route = nullptr;
        match.param_count = 0;
        client_port = 0;
        tls = nullptr;
        version = 11;
        trace = TraceLevel::Off;
    }
};
// A field added to Request changes this: add it to reset() too (64-bit builds).
static_assert(sizeof(void*) != 8 || sizeof(Request) == 840, "Request changed: update Request::reset()");

// A streamed body: the connection pulls chunks and sends them with chunked encoding, one write
// per chunk, so each is flushed as produced. Destroyed early when the client goes away.
class BodySource {
public:
    enum class Pull { Chunk, End, Later };

    virtual ~BodySource() = default;
    // Replaces `chunk` with the next piece; false at the end. An exception aborts the connection
    // (the status line has already been sent).
    virtual bool next(std::string& chunk) = 0;
    // The connection's call. Sources whose data arrives from elsewhere (an asyncio task) answer
    // Later when nothing is there yet, and call `ready` (from any thread) once pull() has more.
    virtual Pull pull(std::string& chunk, const std::function<void()>& /*ready*/) {
        return next(chunk) ? Pull::Chunk : Pull::End;
    }
};

class PendingResponse;    // pending_response.hpp
class WebSocketEndpoint;  // websocket.hpp

// Why a handler failed, for the inspector: set on the error path only (an unhandled exception).
struct HandlerError {
    std::string message;    // "ValueError: bad id"
    std::string traceback;  // as Python prints it
};

// A response being built. Reused per connection: clear() keeps capacity.
// Work for after the response has gone out (background tasks, the teardown of a handler's
// dependencies). The connection keeps it until the response is written, or until the connection
// is lost first, then destroys it: the destructor does the work, on the connection's thread.
// `report`, set by the connection when an inspector is attached, records a failure of that work
// against the request (as a handler's error is recorded); it may be called from any thread.
class AfterResponse {
public:
    virtual ~AfterResponse() = default;
    std::function<void(std::string message, std::string traceback)> report;
};

struct Response {
    int status = 200;
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::unique_ptr<BodySource> stream;  // set: `body` is ignored and the body is streamed
    // For a stream of known size (a file): sent with Content-Length instead of chunked encoding.
    std::int64_t stream_length = -1;
    // Set by an async handler that has not finished: the rest of the response comes later.
    std::shared_ptr<PendingResponse> pending;
    std::unique_ptr<HandlerError> error;  // set when the handler raised (the 500's cause)
    std::unique_ptr<RequestTrace> trace;  // the handler's queries and logs, when Request::trace asked
    std::unique_ptr<AfterResponse> after;  // run once the response is out
    // Set by a WebSocket route (status 101): the connection hands its socket to a WebSocket
    // session for this endpoint (engine/websocket.hpp) instead of writing a response.
    std::shared_ptr<WebSocketEndpoint> websocket;

    void clear() {
        status = 200;
        content_type.clear();
        headers.clear();
        body.clear();
        stream.reset();
        stream_length = -1;
        pending.reset();
        error.reset();
        trace.reset();
        after.reset();
        websocket.reset();
    }
};

bool iequals(std::string_view a, std::string_view b) noexcept;
// Without the optional whitespace (SP, HTAB) around a field value or a list element (RFC 9110 5.6.3).
std::string_view trim_ows(std::string_view s) noexcept;
// Appends `n` in decimal (Content-Length, status codes, cache key lengths, Age).
void append_decimal(std::string& out, std::uint64_t n);

}  // namespace cello::engine
