// Tunables of one server. Defaults are what a development server should use.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace cello::engine {

class Telemetry;      // telemetry/telemetry.hpp
class TlsContext;     // tls/tls_context.hpp
class ThreadReactor;  // thread_reactor.hpp

// What an engine thread has done, as ServerOptions::on_sweep reports it.
struct ThreadCounts {
    std::uint64_t answered = 0;            // requests answered
    std::uint64_t websockets = 0;          // WebSocket connections open now
    std::uint64_t websocket_messages = 0;  // messages received and sent over them
};

// HTTP/2 (engine/net/http2_session.cpp): over TLS when ALPN picks h2, in cleartext when a client
// starts with the HTTP/2 preface (h2c with prior knowledge). Builds without nghttp2 (Windows)
// have none (CELLO_HTTP2 0).
struct Http2Settings {
    bool enabled = true;
    std::uint32_t max_concurrent_streams = 100;     // SETTINGS_MAX_CONCURRENT_STREAMS
    std::uint32_t initial_window_size = 1048576;    // SETTINGS_INITIAL_WINDOW_SIZE (per stream, and the connection's)
    std::uint32_t max_frame_size = 16384;           // SETTINGS_MAX_FRAME_SIZE
};

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8000;  // 0 picks a free port (see Server::port())
    unsigned workers = 1;       // engine threads, each owning its connections

    std::size_t max_header_bytes = 16 * 1024;        // request line + headers; beyond: 431
    std::size_t max_body_bytes = 16 * 1024 * 1024;   // beyond: 413
    // A body up to this size arrives whole before the handler runs; a larger one (or a chunked one
    // that grows past it) is read as the handler takes it (Request::body_stream).
    std::size_t body_buffer_bytes = 1024 * 1024;
    std::chrono::seconds body_timeout{30};           // a body the handler waits for stops arriving: 408
    std::chrono::seconds header_timeout{10};         // first byte to complete request: else 408
    std::chrono::seconds keepalive_timeout{5};       // idle keep-alive connection: closed
    std::chrono::seconds write_timeout{30};          // a client that stops reading: closed
    std::chrono::seconds drain_timeout{10};          // graceful stop: in-flight requests get this long
    std::size_t max_connections = 0;                 // open at once (0: no limit); beyond: 503 and closed
    std::size_t max_requests_per_connection = 0;     // then "Connection: close" (0: no limit)

    // Run on each engine thread as it starts and before it ends (pyembed creates its
    // persistent Python thread state here).
    std::function<void()> on_thread_start;
    std::function<void()> on_thread_stop;
    // Set: runs each engine thread's event loop in place of Asio's run() (pyembed runs the thread's
    // asyncio loop here, driving the reactor through ThreadReactor::run). Must return once run()
    // answers Finished. Called between on_thread_start and on_thread_stop.
    std::function<void(ThreadReactor&)> drive;

    // Set: every answered request is reported to it (an attached inspector). Sized for `workers`.
    std::shared_ptr<Telemetry> telemetry;

    // Set (>= 0): accept on this already listening socket instead of binding `host:port`; the
    // server owns it from then on. Cluster mode: the supervisor binds, each worker process serves.
    // `host` still names the address family.
    std::intptr_t listen_fd = -1;
    // Set: called once a second on each engine thread with what it has done so far. It is the
    // thread's heartbeat: a thread stuck in a handler stops calling it (cluster mode).
    std::function<void(unsigned thread, const ThreadCounts& counts)> on_sweep;
    // Set: every connection is TLS (HTTPS), with this context; its reload() applies to the
    // connections accepted after it. Builds without OpenSSL (Windows) have none (CELLO_TLS 0).
    std::shared_ptr<TlsContext> tls;
    Http2Settings http2;
};

}  // namespace cello::engine
