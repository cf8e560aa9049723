// One keep-alive HTTP/1.1 connection, owned by one worker for its whole life. Private to engine/.
// Its states and transitions: the diagram at the top of connection.cpp.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>

namespace cello::engine::net {

class Worker;

// What the worker needs of a connection: timeouts and graceful stop. The Beast-based
// implementation lives in connection.cpp.
class Connection {
public:
    virtual ~Connection() = default;
    // Called once a second with the worker's tick; closes the connection when its deadline passed.
    virtual void on_tick(std::uint64_t tick) = 0;
    // The server is stopping: close if idle, else finish the current request and close.
    virtual void on_stop() = 0;
    // Drain deadline passed: close now.
    virtual void force_close() = 0;
    // An exchange suspended a while ago may still be (Worker::watch_suspended).
    virtual void on_watch_due() = 0;

    Connection* prev = nullptr;  // worker's intrusive list
    Connection* next = nullptr;
};

// Creates a connection for an accepted socket and starts reading.
void start_connection(Worker& worker, boost::asio::ip::tcp::socket socket);
// The server is at ServerOptions::max_connections: a 503 (Connection: close, Retry-After) written
// without reading the request, then the socket closed.
void refuse_connection(Worker& worker, boost::asio::ip::tcp::socket socket);

}  // namespace cello::engine::net
