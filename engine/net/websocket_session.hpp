// A WebSocket connection (Boost.Beast's websocket::stream), taken over from an HTTP connection
// whose request a WebSocket route answered (engine/websocket.hpp). Private to engine/.
#pragma once

#include "engine/http_types.hpp"
#include "engine/websocket.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <vector>

namespace cello::engine::net {

class Worker;

// Takes the socket and the upgrade request (copied: its views may go once this returns; its route
// belongs to the table of `table_generation`), and hands the endpoint its channel.
void start_websocket(Worker& worker, boost::asio::ip::tcp::socket socket, const Request& upgrade,
                     std::uint32_t table_generation, std::shared_ptr<WebSocketEndpoint> endpoint);

}  // namespace cello::engine::net
