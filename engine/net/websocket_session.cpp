// One WebSocket connection: Beast's websocket::stream over the socket an HTTP connection handed
// over. Beast does the framing, masking, fragments, control frames (a ping is answered while a
// read is pending), UTF-8 checks of text (1007), the size limit (1009), permessage-deflate and the
// idle pings; this file keeps one read outstanding while the app has room for messages (at most
// kInboxMessages wait; beyond, reading pauses and TCP holds the client back), writes one message
// at a time from a queue whose senders wait for their message to be written (back-pressure on a
// slow reader), and turns how the connection ended into a close code for the app.
//
//   Offered ── accept ──> Open ── close (after queued sends) / the client's close / an error ──> Ended
//      └── refuse (an HTTP status, then a lingering close) ──> Ended
//
// Ownership: pending operations and the app's channel hold the session.
#include "engine/net/websocket_session.hpp"

#include "engine/net/connection.hpp"
#include "engine/net/lingering_close.hpp"
#include "engine/net/worker.hpp"
#include "engine/response_writer.hpp"
#include "engine/status.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>
#include <string>

namespace cello::engine::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using boost::system::error_code;

namespace {

constexpr std::size_t kInboxMessages = 16;

// How a read that failed ended the connection, as a close code for the app.
int close_code_for(const error_code& ec, const websocket::close_reason& peer) {
    if (ec == websocket::error::closed) return peer.code != websocket::close_code::none ? peer.code : 1005;
    if (ec == websocket::error::message_too_big || ec == websocket::error::buffer_overflow) return 1009;
    if (ec == websocket::error::bad_frame_payload) return 1007;  // invalid UTF-8 in a text message
    if (ec == websocket::condition::protocol_violation) return 1002;  // Beast closed it: a protocol error
    return 1006;  // no closing handshake: the client vanished, a reset, the idle timeout
}

class WebSocketSession final : public Connection,
                               public WebSocketChannel,
                               public std::enable_shared_from_this<WebSocketSession> {
public:
    WebSocketSession(Worker& worker, asio::ip::tcp::socket socket, const Request& upgrade,
                     std::shared_ptr<WebSocketEndpoint> endpoint)
        : worker_(worker), ws_(std::move(socket)), endpoint_(std::move(endpoint)), options_(endpoint_->options) {
        worker_.link(this);
        request_.method(http::verb::get);
        request_.target(std::string(upgrade.target));
        request_.version(upgrade.version);
        for (std::size_t i = 0; i < upgrade.header_count; ++i)
            request_.insert(std::string(upgrade.headers[i].name), std::string(upgrade.headers[i].value));
        offered_ = std::string(upgrade.header("sec-websocket-protocol"));
        accept_deadline_ = worker_.tick() + static_cast<std::uint64_t>(options_.handshake_timeout.count()) + 1;
    }
    ~WebSocketSession() override { leave_worker(); }

    void start() { std::exchange(endpoint_, nullptr)->opened(shared_from_this()); }

    // --- the worker (Connection) ---

    void on_tick(std::uint64_t tick) override {
        if (phase_ == Phase::Offered && tick >= accept_deadline_) refuse(408);  // the app never answered
    }
    void on_stop() override {
        if (phase_ == Phase::Offered) refuse(503);
        else if (phase_ == Phase::Open) close(1001, "server shutting down", nullptr);  // going away
    }
    void force_close() override { end_now(1006); }
    void on_watch_due() override {}

    // --- the app (WebSocketChannel) ---

    void accept(std::string subprotocol, std::function<void(bool)> done) override {
        if (phase_ != Phase::Offered) {
            done(false);
            return;
        }
        phase_ = Phase::Accepting;
        ws_.set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
            res.set(http::field::server, "cello");
            if (!subprotocol.empty()) res.set(http::field::sec_websocket_protocol, subprotocol);
        }));
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = options_.handshake_timeout;
        timeouts.idle_timeout = options_.idle_timeout.count() > 0 ? std::chrono::steady_clock::duration(options_.idle_timeout)
                                                                  : websocket::stream_base::none();
        timeouts.keep_alive_pings = true;  // a ping at half the idle time; closed after the whole
        ws_.set_option(timeouts);
        if (options_.deflate) {
            websocket::permessage_deflate pmd;
            pmd.server_enable = true;
            ws_.set_option(pmd);
        }
        ws_.read_message_max(options_.max_message_size);
        ws_.auto_fragment(false);  // a message goes as one frame (Beast's default cuts it at 4 KiB)
        ws_.async_accept(request_, [self = shared_from_this(), done = std::move(done)](const error_code& ec) {
            if (ec) {
                self->end_now(1006);
                done(false);
                return;
            }
            self->phase_ = Phase::Open;
            done(true);
            self->read_more();
            self->write_next();
        });
    }

    void refuse(int status) override {
        if (phase_ != Phase::Offered) return;
        Response res;
        make_error(res, status, "the WebSocket was refused");
        std::string answer;
        append_response(answer, res, {false, false, request_.version(), worker_.date()});
        phase_ = Phase::Ended;
        end_code_ = 1006;
        close_lingering(std::move(ws_.next_layer()), std::move(answer));
        leave_worker();
        deliver();
    }

    void receive(Received done) override {
        receiver_ = std::move(done);
        deliver();
    }

    void send(bool text, std::string data, std::function<void(int)> done) override {
        if (phase_ == Phase::Ended || closing_) {
            done(phase_ == Phase::Ended ? end_code_ : 1006);
            return;
        }
        outbox_.push_back(Outgoing{text, std::move(data), std::move(done)});
        write_next();
    }

    void close(int code, std::string reason, std::function<void()> done) override {
        if (phase_ == Phase::Offered) {
            refuse(403);
            if (done) done();
            return;
        }
        if (phase_ == Phase::Ended || closing_) {
            if (done) done();
            return;
        }
        closing_ = true;
        close_code_ = code;
        close_reason_ = std::move(reason);
        close_done_ = std::move(done);
        write_next();  // the close goes after the messages queued before it
    }

    std::string_view offered_subprotocols() const override { return offered_; }

private:
    enum class Phase { Offered, Accepting, Open, Ended };
    struct Outgoing {
        bool text;
        std::string data;
        std::function<void(int)> done;
    };

    void read_more() {
        if (phase_ != Phase::Open || reading_ || inbox_.size() >= kInboxMessages) return;
        reading_ = true;
        ws_.async_read(rbuf_, [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(const error_code& ec) {
        reading_ = false;
        if (ec) {
            end_now(closing_ ? close_code_ : close_code_for(ec, ws_.reason()),
                    ec == websocket::error::closed ? std::string(ws_.reason().reason.data(), ws_.reason().reason.size())
                                                   : std::string());
            return;
        }
        inbox_.push_back(WebSocketMessage{ws_.got_text(), beast::buffers_to_string(rbuf_.data())});
        rbuf_.consume(rbuf_.size());
        ++received_;
        deliver();
        read_more();
    }

    // Hands the oldest message (or the end) to a waiting receiver.
    void deliver() {
        if (!receiver_ || (inbox_.empty() && phase_ != Phase::Ended)) return;
        auto receiver = std::exchange(receiver_, nullptr);
        if (!inbox_.empty()) {
            WebSocketMessage m = std::move(inbox_.front());
            inbox_.pop_front();
            read_more();  // room again
            receiver(&m, 0, {});
        } else {
            receiver(nullptr, end_code_, end_reason_);
        }
    }

    void write_next() {
        if (phase_ != Phase::Open || writing_) return;
        if (outbox_.empty()) {
            if (closing_) start_close();
            return;
        }
        writing_ = true;
        ws_.text(outbox_.front().text);
        ws_.async_write(asio::buffer(outbox_.front().data), [self = shared_from_this()](const error_code& ec, std::size_t) {
            self->on_write(ec);
        });
    }

    void on_write(const error_code& ec) {
        writing_ = false;
        Outgoing sent = std::move(outbox_.front());
        outbox_.pop_front();
        if (ec) {
            sent.done(1006);
            end_now(1006);
            return;
        }
        ++sent_;
        sent.done(0);
        write_next();
    }

    void start_close() {
        if (phase_ != Phase::Open || close_started_) return;
        close_started_ = true;
        websocket::close_reason why(static_cast<std::uint16_t>(close_code_));
        why.reason = close_reason_.substr(0, 123);  // a close frame's payload is at most 125 bytes
        ws_.async_close(why,
                        [self = shared_from_this()](const error_code&) {
                            // The pending read (Beast's close waits for the client's) has ended or ends now.
                            self->end_now(self->close_code_, self->close_reason_);
                        });
    }

    void leave_worker() {
        if (linked_) worker_.unlink(this);
        linked_ = false;
    }

    // The connection is over: everyone waiting hears how.
    void end_now(int code, std::string reason = {}) {
        if (phase_ != Phase::Ended) {
            phase_ = Phase::Ended;
            end_code_ = code;
            end_reason_ = std::move(reason);
            error_code ignored;
            beast::get_lowest_layer(ws_).close(ignored);  // pending operations return
            // Over for the worker too (a stop need not wait for the app to drop its channel).
            leave_worker();
        }
        // The message being written stays for its write's completion, which reports it.
        std::deque<Outgoing> failed;
        while (outbox_.size() > (writing_ ? 1u : 0u)) {
            failed.push_front(std::move(outbox_.back()));
            outbox_.pop_back();
        }
        for (auto& o : failed) o.done(end_code_);
        if (auto done = std::exchange(close_done_, nullptr)) done();
        deliver();
    }

    Worker& worker_;
    bool linked_ = true;  // in the worker's list (until the connection ends)
    websocket::stream<asio::ip::tcp::socket> ws_;
    std::shared_ptr<WebSocketEndpoint> endpoint_;  // until start()
    WebSocketOptions options_;
    http::request<http::empty_body> request_;     // the upgrade request, for Beast's accept
    std::string offered_;
    Phase phase_ = Phase::Offered;
    std::uint64_t accept_deadline_ = 0;

    beast::flat_buffer rbuf_;
    bool reading_ = false;
    std::deque<WebSocketMessage> inbox_;
    Received receiver_;

    std::deque<Outgoing> outbox_;
    bool writing_ = false;

    bool closing_ = false, close_started_ = false;
    int close_code_ = 1000;
    std::string close_reason_;
    std::function<void()> close_done_;

    int end_code_ = 1006;
    std::string end_reason_;
    std::uint64_t received_ = 0, sent_ = 0;
};

}  // namespace

void start_websocket(Worker& worker, asio::ip::tcp::socket socket, const Request& upgrade,
                     std::shared_ptr<WebSocketEndpoint> endpoint) {
    std::make_shared<WebSocketSession>(worker, std::move(socket), upgrade, std::move(endpoint))->start();
}

}  // namespace cello::engine::net
