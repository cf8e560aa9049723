#include "inspector/loadgen/websocket_connection.hpp"

#include "inspector/loadgen/load_worker.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>

#include <string>

namespace cello::inspector::loadgen {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;

WebSocketConnection::WebSocketConnection(Worker& worker, unsigned index) : LoadConnection(worker, index) {}

void WebSocketConnection::connect() {
    if (state_ != State::Closed) return;
    state_ = State::Connecting;
    connect_started_ = Clock::now();
    ws_.emplace(worker_.io());
    asio::async_connect(ws_->next_layer(), plan_.endpoints, [this, epoch = epoch_](error_code ec, const asio::ip::tcp::endpoint&) {
        if (epoch != epoch_) return;
        if (ec) {
            worker_.connect_settled();
            fail(&ErrorCounts::connect);
            return;
        }
        error_code ignored;
        ws_->next_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
        // No permessage-deflate offered: the run measures the server's messaging, not zlib.
        ws_->read_message_max(plan_.message.size() + 1);
        ws_->auto_fragment(false);
        ws_->text(true);
        const std::string host = plan_.config.host + ":" + std::to_string(plan_.config.port);
        upgrade_answer_ = {};
        ws_->async_handshake(upgrade_answer_, host, plan_.config.targets.front().path, [this, epoch = epoch_](error_code ec2) {
            if (epoch != epoch_) return;
            worker_.connect_settled();  // connected means upgraded: the clock starts after every handshake
            if (ec2) {  // refused (an HTTP answer instead of 101: counted by its status) or cut
                const unsigned status = upgrade_answer_.result_int();
                fail(status >= 500 ? &ErrorCounts::status_5xx : status >= 400 ? &ErrorCounts::status_4xx : &ErrorCounts::connect);
                return;
            }
            on_connected();
        });
    });
}

void WebSocketConnection::on_connected() {
    state_ = State::Open;
    read();
    if (worker_.running()) pump();
}

void WebSocketConnection::read() {
    ws_->async_read(buffer_, [this, epoch = epoch_](error_code ec, std::size_t n) {
        if (epoch != epoch_) return;
        // A close from the server, a cut connection, or an echo that is not the message (its size).
        if (ec || n != plan_.message.size() || in_flight() == 0) {
            if (goodbye_) return said_goodbye();
            fail(&ErrorCounts::read);
            return;
        }
        if (worker_.running()) worker_.count_bytes(n);  // echoes after the run's end are not counted
        buffer_.consume(buffer_.size());
        worker_.record(oldest(), 0, Clock::now());
        pop();
        if (goodbye_) {  // the run is over: the echoes still in flight come back, then the close
            if (in_flight() == 0) say_goodbye();
            else read();
            return;
        }
        if (!worker_.running()) return;
        pump();
        read();
    });
}

// One write at a time (a WebSocket stream allows no more); the next goes when it is written,
// until `pipeline` messages wait for their echo.
void WebSocketConnection::pump() {
    if (state_ != State::Open || writing_ || !worker_.running() || !has_room()) return;
    const auto now = Clock::now();
    push({now, now, 0});
    writing_ = true;
    ws_->async_write(asio::buffer(plan_.message), [this, epoch = epoch_](error_code ec, std::size_t) {
        if (epoch != epoch_) return;
        writing_ = false;
        if (ec) {
            if (goodbye_) return said_goodbye();
            fail(&ErrorCounts::write);
            return;
        }
        pump();
    });
}

// The run ended: once the echoes still in flight are back, a close frame, so that the server sees
// a client leaving, not a connection cut or a message left unanswered (some servers log a
// traceback for each). The worker bounds how long this may take.
bool WebSocketConnection::close_gracefully(std::function<void()> done) {
    if (state_ != State::Open) {
        reset();
        return false;
    }
    goodbye_ = std::move(done);
    if (in_flight() == 0) say_goodbye();  // else after the last echo (read())
    return true;
}

void WebSocketConnection::say_goodbye() {
    ++epoch_;  // the pending read ends with the close: its handler does nothing
    state_ = State::Closed;
    ws_->async_close(websocket::close_code::normal, [this, epoch = epoch_](error_code) {
        if (epoch == epoch_) said_goodbye();
    });
}

void WebSocketConnection::said_goodbye() {
    ++epoch_;  // whatever else is pending on the old stream does nothing
    state_ = State::Closed;
    close_transport();
    if (auto done = std::exchange(goodbye_, nullptr)) done();
}

void WebSocketConnection::close_transport() {
    // No closing handshake: the run is over (or the connection failed); its pending operations
    // end with the socket, and their handlers see another epoch.
    if (ws_) {
        error_code ignored;
        ws_->next_layer().close(ignored);
    }
    ws_.reset();
    buffer_.clear();
}

}  // namespace cello::inspector::loadgen
