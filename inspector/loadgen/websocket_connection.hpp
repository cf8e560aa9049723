// One WebSocket connection of a worker (Boost.Beast's websocket client): upgrades on the run's
// path, then keeps up to `pipeline` text messages in flight and counts each echo as an answer.
#pragma once

#include "inspector/loadgen/load_connection.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <optional>

namespace cello::inspector::loadgen {

class WebSocketConnection final : public LoadConnection {
public:
    WebSocketConnection(Worker& worker, unsigned index);
    void connect() override;
    bool close_gracefully(std::function<void()> done) override;

private:
    void pump() override;
    void close_transport() override;
    void on_connected();
    void read();
    void say_goodbye();
    void said_goodbye();

    std::optional<boost::beast::websocket::stream<boost::asio::ip::tcp::socket>> ws_;  // a new one per connect
    boost::beast::flat_buffer buffer_;
    boost::beast::websocket::response_type upgrade_answer_;  // what the server answered the upgrade with
    std::function<void()> goodbye_;  // the run ended: called once the closing handshake is over
};

}  // namespace cello::inspector::loadgen
