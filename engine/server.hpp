// The HTTP/1.1 server: one acceptor, `workers` engine threads, each with its own io_context.
#pragma once

#include "engine/route_table.hpp"
#include "engine/server_options.hpp"

#include <memory>

namespace cello::engine {

class Server {
public:
    Server(ServerOptions options, std::shared_ptr<RouteTableHolder> routes);
    ~Server();  // stops and joins if still running
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Starts the engine threads, then binds and accepts. Throws std::system_error with a message
    // naming the address when the bind fails (the threads then still run: stop() and join()).
    void start();
    // The two halves of start(): the engine threads (with no socket, so that work that must
    // precede serving can run on them), then the socket. start_threads() is idempotent.
    void start_threads();
    void listen();
    // Graceful stop: stop accepting, let in-flight requests finish (bounded by drain_timeout).
    // Thread-safe and idempotent.
    void stop();
    // Blocks until every engine thread has ended.
    void join();
    // Waits up to `timeout` for the threads to end; true when they have.
    bool wait_for(std::chrono::milliseconds timeout);

    std::uint16_t port() const noexcept;  // the bound port, once started
    const ServerOptions& options() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cello::engine
