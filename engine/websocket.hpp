// WebSocket (RFC 6455) between the engine and an app. A WebSocket route's handler answers the
// upgrade request with a WebSocketEndpoint (Response::websocket); the connection then hands its
// socket to a WebSocket session (engine/net/websocket_session.cpp, Boost.Beast's websocket), which
// gives the endpoint a WebSocketChannel: the app accepts (or refuses) the upgrade through it, then
// sends and receives messages. Every call, and every callback, is on the connection's engine thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace cello::engine {

struct WebSocketOptions {
    std::size_t max_message_size = 1024 * 1024;  // a larger message closes the connection (1009)
    bool deflate = true;                         // permessage-deflate, when the client offers it
    // Half this long without a frame from the client: a ping; this long: closed (1006).
    std::chrono::seconds idle_timeout{60};
    std::chrono::seconds handshake_timeout{30};  // the accept and the closing handshake
};

struct WebSocketMessage {
    bool text = true;
    std::string data;
};

class WebSocketChannel {
public:
    virtual ~WebSocketChannel() = default;

    // Completes the handshake (101 Switching Protocols), naming `subprotocol` when not empty;
    // done(true) once it is, done(false) when the client went away first.
    virtual void accept(std::string subprotocol, std::function<void(bool)> done) = 0;
    // Instead of accept: answers the upgrade request with an HTTP `status` (403) and closes.
    virtual void refuse(int status) = 0;
    // The next message: done(&message, 0, {}); or the connection's end: done(nullptr, code,
    // reason), with the close code the client sent (1000, 1001...), the one the server closed with
    // (1007 invalid UTF-8, 1009 too big...), or 1006 when it ended without a closing handshake.
    // It returns whether it took the message (false: its waiter went away; the message stays
    // for the next receive). A receive replaces one still waiting.
    using Received = std::function<bool(WebSocketMessage* message, int code, std::string_view reason)>;
    virtual void receive(Received done) = 0;
    // The next message if one has arrived (true), without waiting; else false (receive() waits).
    virtual bool try_receive(WebSocketMessage& out) = 0;
    // Sends one message; done(0) once it is written, done(close code) when the connection ended
    // first. A client that reads slowly makes done come late: that is the back-pressure.
    virtual void send(bool text, std::string data, std::function<void(int)> done) = 0;
    // Queues one message to be written without waiting, when the connection is open and less than
    // kSendBuffer bytes wait to be written (true; a write that fails later ends the connection,
    // which the next receive reports). Else false, `data` untouched: send() waits.
    static constexpr std::size_t kSendBuffer = 64 * 1024;
    virtual bool try_send(bool text, std::string& data) = 0;
    // The closing handshake with `code` and `reason` (after the messages sent before it); done()
    // when it is over (or the connection gone). Further sends fail.
    virtual void close(int code, std::string reason, std::function<void()> done) = 0;
    // The subprotocols the client offered (Sec-WebSocket-Protocol), as sent.
    virtual std::string_view offered_subprotocols() const = 0;
};

// The app's side of one upgrade request.
class WebSocketEndpoint {
public:
    virtual ~WebSocketEndpoint() = default;
    // The session has the socket: the app goes on through `channel` (accept or refuse first).
    virtual void opened(std::shared_ptr<WebSocketChannel> channel) = 0;
    WebSocketOptions options;
};

}  // namespace cello::engine
