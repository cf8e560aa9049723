// A WebSocket connection (Boost.Beast's websocket::stream), taken over from an HTTP connection
// whose request a WebSocket route answered (engine/websocket.hpp). Private to engine/.
#pragma once

#include "engine/http_types.hpp"
#include "engine/websocket.hpp"

#include <boost/asio/ip/tcp.hpp>
#if CELLO_TLS
#include "engine/tls/tls_stream.hpp"
#endif

#include <memory>
#include <vector>

namespace cello::engine::net {

class Worker;

// The route an upgrade request matched, as telemetry names it (RequestEvent's route_id and
// table_generation): the session outlives the table that routed it.
struct WebSocketRoute {
    std::uint32_t id = ~0u;
    std::uint32_t table_generation = 0;
};

// Takes the socket and the upgrade request (copied: its views may go once this returns, and its
// route is not read: `route` names it), and hands the endpoint its channel.
void start_websocket(Worker& worker, boost::asio::ip::tcp::socket socket, const Request& upgrade, WebSocketRoute route,
                     std::shared_ptr<WebSocketEndpoint> endpoint);
#if CELLO_TLS
// The same over TLS (wss://): the stream, its handshake done, carries the session.
void start_websocket(Worker& worker, TlsStream stream, const Request& upgrade, WebSocketRoute route,
                     std::shared_ptr<WebSocketEndpoint> endpoint);
#endif

}  // namespace cello::engine::net
