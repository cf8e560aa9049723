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
#include "engine/telemetry/telemetry.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>
#if CELLO_TLS
#include <boost/beast/websocket/ssl.hpp>
#endif
#include <boost/asio/write.hpp>

#include <deque>
#include <optional>
#include <string>

namespace cello::engine::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using boost::system::error_code;

namespace {

constexpr std::size_t kInboxMessages = 16;
constexpr std::size_t kInboxBytes = 1024 * 1024;  // beyond (or kInboxMessages), reading pauses

// How a read that failed ended the connection, as a close code for the app.
int close_code_for(const error_code& ec, const websocket::close_reason& peer) {
    if (ec == websocket::error::closed) return peer.code != websocket::close_code::none ? peer.code : 1005;
    if (ec == websocket::error::message_too_big || ec == websocket::error::buffer_overflow) return 1009;
    if (ec == websocket::error::bad_frame_payload) return 1007;  // invalid UTF-8 in a text message
    if (ec == websocket::condition::protocol_violation) return 1002;  // Beast closed it: a protocol error
    return 1006;  // no closing handshake: the client vanished, a reset, the idle timeout
}

// NextLayer: the TCP socket, or the TLS stream over it (wss://).
template <class NextLayer>
class WebSocketSession final : public Connection,
                               public WebSocketChannel,
                               public std::enable_shared_from_this<WebSocketSession<NextLayer>> {
    using std::enable_shared_from_this<WebSocketSession<NextLayer>>::shared_from_this;

public:
    WebSocketSession(Worker& worker, NextLayer socket, const Request& upgrade, WebSocketRoute route,
                     std::shared_ptr<WebSocketEndpoint> endpoint)
        : worker_(worker), ws_(std::in_place, std::move(socket)), endpoint_(std::move(endpoint)), options_(endpoint_->options),
          telemetry_(worker.options().telemetry) {
        worker_.link(this);
        if (telemetry_) {  // what the inspector will list once the app accepts
            listed_.target = telemetry_->redaction().target(upgrade.target);
            listed_.client = std::string(upgrade.client_ip) + ":" + std::to_string(upgrade.client_port);
            listed_.route_id = route.id;
            listed_.table_generation = route.table_generation;
            listed_.thread = static_cast<std::uint16_t>(worker_.index());
        }
        request_.method(http::verb::get);
        request_.target(std::string(upgrade.target));
        request_.version(upgrade.version);
        for (std::size_t i = 0; i < upgrade.header_count; ++i)
            request_.insert(std::string(upgrade.headers[i].name), std::string(upgrade.headers[i].value));
        for (std::size_t i = 0; i < upgrade.header_count; ++i) {  // every Sec-WebSocket-Protocol line
            if (!iequals(upgrade.headers[i].name, "sec-websocket-protocol")) continue;
            if (!offered_.empty()) offered_ += ", ";
            offered_ += upgrade.headers[i].value;
        }
        accept_deadline_ = worker_.tick() + static_cast<std::uint64_t>(options_.handshake_timeout.count()) + 1;
    }
    ~WebSocketSession() override {
        if (counters_) telemetry_->websockets().closed(listed_id_, 1006, {});  // never through end_now
        leave_worker();
    }

    void start() {
        auto endpoint = std::exchange(endpoint_, nullptr);
        if (worker_.stopping()) {  // handed over during a graceful stop: not opened any more
            refuse(503);
            return;
        }
        endpoint->opened(shared_from_this());
    }

    // --- the worker (Connection) ---

    void on_tick(std::uint64_t tick) override {
        if (phase_ == Phase::Offered && tick >= accept_deadline_) refuse(408);  // the app never answered
    }
    void on_stop() override {
        if (phase_ == Phase::Offered) refuse(503);
        else if (phase_ == Phase::Accepting) stop_requested_ = true;  // closed once the handshake is over
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
        if (telemetry_) listed_.subprotocol = subprotocol;
        ws_->set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
            res.set(http::field::server, "cello");
            if (!subprotocol.empty()) res.set(http::field::sec_websocket_protocol, subprotocol);
        }));
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = options_.handshake_timeout;
        timeouts.idle_timeout = options_.idle_timeout.count() > 0 ? std::chrono::steady_clock::duration(options_.idle_timeout)
                                                                  : websocket::stream_base::none();
        timeouts.keep_alive_pings = true;  // a ping at half the idle time; closed after the whole
        ws_->set_option(timeouts);
        if (options_.deflate) {
            websocket::permessage_deflate pmd;
            pmd.server_enable = true;
            ws_->set_option(pmd);
        }
        ws_->read_message_max(options_.max_message_size);
        ws_->auto_fragment(false);  // a message goes as one frame (Beast's default cuts it at 4 KiB)
        ++ops_;
        ws_->async_accept(request_, [self = shared_from_this(), done = std::move(done)](const error_code& ec) {
            --self->ops_;
            if (ec || self->phase_ == Phase::Ended) {  // failed, or ended meanwhile (force_close)
                self->end_now(1006);
                done(false);
                self->release();
                return;
            }
            self->phase_ = Phase::Open;
            self->worker_.websocket_opened();
            if (self->telemetry_)
                std::tie(self->listed_id_, self->counters_) = self->telemetry_->websockets().opened(std::move(self->listed_));
            done(true);
            if (self->stop_requested_) self->close(1001, "server shutting down", nullptr);
            self->read_more();
            self->write_next();
            self->release();
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
        if constexpr (std::is_same_v<NextLayer, asio::ip::tcp::socket>) {
            close_lingering(std::move(ws_->next_layer()), std::move(answer));
        } else {
            // Over TLS the answer goes through the record layer; then the connection closes.
            auto text = std::make_shared<std::string>(std::move(answer));
            ++ops_;
            asio::async_write(ws_->next_layer(), asio::buffer(*text), [self = shared_from_this(), text](const error_code&, std::size_t) {
                --self->ops_;
                error_code ignored;
                beast::get_lowest_layer(*self->ws_).close(ignored);
                self->release();
            });
        }
        leave_worker();
        deliver();
        release();
    }

    void receive(Received done) override {
        receiver_ = std::move(done);
        deliver();
    }

    bool try_receive(WebSocketMessage& out) override {
        if (inbox_.empty()) return false;
        out = std::move(inbox_.front());
        inbox_.pop_front();
        inbox_bytes_ -= out.data.size();
        read_more();  // room again
        return true;
    }

    void send(bool text, std::string data, std::function<void(int)> done) override {
        if (phase_ == Phase::Ended || closing_) {
            done(phase_ == Phase::Ended ? end_code_ : close_code_);
            return;
        }
        outbox_bytes_ += data.size();
        outbox_.push_back(Outgoing{text, std::move(data), std::move(done)});
        write_next();
    }

    bool try_send(bool text, std::string& data) override {
        if (phase_ != Phase::Open || closing_ || outbox_bytes_ + data.size() > kSendBuffer) return false;
        outbox_bytes_ += data.size();
        outbox_.push_back(Outgoing{text, std::move(data), nullptr});
        write_next();
        return true;
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
        if (phase_ != Phase::Open || reading_) return;
        if (inbox_.size() >= kInboxMessages || inbox_bytes_ >= kInboxBytes) {
            // Paused: Beast's idle timeout needs a read outstanding to see the client's pongs, so
            // it is off until reading resumes (a slow handler is not an idle client).
            set_idle_timeout(false);
            return;
        }
        set_idle_timeout(true);
        reading_ = true;
        ++ops_;
        ws_->async_read(rbuf_, [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(const error_code& ec) {
        reading_ = false;
        --ops_;
        if (ec) {
            if (phase_ != Phase::Ended)
                end_now(closing_ ? close_code_ : close_code_for(ec, ws_->reason()), peer_reason());
            release();
            return;
        }
        inbox_.push_back(WebSocketMessage{ws_->got_text(), beast::buffers_to_string(rbuf_.data())});
        inbox_bytes_ += inbox_.back().data.size();
        worker_.count_websocket_message();
        if (counters_) counters_->received(inbox_.back().data.size());
        rbuf_.consume(rbuf_.size());
        deliver();
        read_more();
        release();
    }

    std::string peer_reason() const {
        const auto& r = ws_->reason().reason;
        return {r.data(), r.size()};
    }

    void set_idle_timeout(bool on) {
        if (idle_on_ == on || options_.idle_timeout.count() <= 0) return;
        idle_on_ = on;
        websocket::stream_base::timeout t{};
        t.handshake_timeout = options_.handshake_timeout;
        t.idle_timeout = on ? std::chrono::steady_clock::duration(options_.idle_timeout) : websocket::stream_base::none();
        t.keep_alive_pings = true;
        ws_->set_option(t);
    }

    // Hands the oldest message (or the end) to a waiting receiver.
    void deliver() {
        if (!receiver_ || (inbox_.empty() && phase_ != Phase::Ended)) return;
        auto receiver = std::exchange(receiver_, nullptr);
        if (inbox_.empty()) {
            receiver(nullptr, end_code_, end_reason_);
            return;
        }
        WebSocketMessage m = std::move(inbox_.front());
        inbox_.pop_front();
        if (!receiver(&m, 0, {})) {  // its waiter went away: the message stays for the next receive
            inbox_.push_front(std::move(m));
            return;
        }
        inbox_bytes_ -= m.data.size();
        read_more();  // room again
    }

    void write_next() {
        if (phase_ != Phase::Open || writing_) return;
        if (outbox_.empty()) {
            if (closing_) start_close();
            return;
        }
        writing_ = true;
        ++ops_;
        ws_->text(outbox_.front().text);
        ws_->async_write(asio::buffer(outbox_.front().data), [self = shared_from_this()](const error_code& ec, std::size_t) {
            self->on_write(ec);
        });
    }

    void on_write(const error_code& ec) {
        writing_ = false;
        --ops_;
        Outgoing sent = std::move(outbox_.front());
        outbox_.pop_front();
        outbox_bytes_ -= sent.data.size();
        if (ec) {
            // The client's close (if it sent one) says how it ended better than the failed write.
            if (phase_ != Phase::Ended) {
                const auto& peer = ws_->reason();
                if (peer.code != websocket::close_code::none) end_now(peer.code, peer_reason());
                else end_now(1006);
            }
            if (sent.done) sent.done(end_code_);
            release();
            return;
        }
        if (linked_) worker_.count_websocket_message();
        if (counters_) counters_->sent(sent.data.size());
        if (sent.done) sent.done(0);
        write_next();
        release();
    }

    void start_close() {
        if (phase_ != Phase::Open || close_started_) return;
        close_started_ = true;
        websocket::close_reason why(static_cast<std::uint16_t>(close_code_));
        why.reason = close_reason_.substr(0, 123);  // a close frame's payload is at most 125 bytes
        ++ops_;
        ws_->async_close(why,
                        [self = shared_from_this()](const error_code&) {
                            // The pending read (Beast's close waits for the client's) has ended or ends now.
                            --self->ops_;
                            self->end_now(self->close_code_, self->close_reason_);
                            self->release();
                        });
    }

    void leave_worker() {
        if (linked_) worker_.unlink(this);
        linked_ = false;
    }

    // The connection is over: everyone waiting hears how.
    void end_now(int code, std::string reason = {}) {
        if (phase_ != Phase::Ended) {
            if (phase_ == Phase::Open) worker_.websocket_closed();
            phase_ = Phase::Ended;
            end_code_ = code;
            end_reason_ = std::move(reason);
            if (counters_) {
                telemetry_->websockets().closed(listed_id_, end_code_, end_reason_);
                counters_.reset();
            }
            error_code ignored;
            beast::get_lowest_layer(*ws_).close(ignored);  // pending operations return
            // Over for the worker too (a stop need not wait for the app to drop its channel).
            leave_worker();
        }
        // The message being written stays for its write's completion, which reports it.
        std::deque<Outgoing> failed;
        while (outbox_.size() > (writing_ ? 1u : 0u)) {
            outbox_bytes_ -= outbox_.back().data.size();
            failed.push_front(std::move(outbox_.back()));
            outbox_.pop_back();
        }
        for (auto& o : failed)
            if (o.done) o.done(end_code_);
        if (auto done = std::exchange(close_done_, nullptr)) done();
        deliver();
        release();
    }

    // Ended, and no operation of ours pending: the stream (its socket and timer) goes now, while
    // the worker's io_context surely lives, not whenever the app drops its channel.
    void release() {
        if (phase_ == Phase::Ended && ops_ == 0 && ws_) ws_.reset();
    }

    Worker& worker_;
    bool linked_ = true;  // in the worker's list (until the connection ends)
    std::optional<websocket::stream<NextLayer>> ws_;  // gone once ended and idle (see release())
    std::shared_ptr<WebSocketEndpoint> endpoint_;  // until start()
    WebSocketOptions options_;
    http::request<http::empty_body> request_;     // the upgrade request, for Beast's accept
    std::string offered_;
    Phase phase_ = Phase::Offered;
    std::uint64_t accept_deadline_ = 0;

    beast::flat_buffer rbuf_;
    bool reading_ = false;
    bool idle_on_ = true;        // Beast's idle timeout is set (off while reading pauses)
    bool stop_requested_ = false;  // the server stopped during the handshake
    int ops_ = 0;                // our asynchronous operations pending on the stream
    std::deque<WebSocketMessage> inbox_;
    std::size_t inbox_bytes_ = 0;
    Received receiver_;

    std::deque<Outgoing> outbox_;  // done null: queued by try_send (nobody waits for it)
    std::size_t outbox_bytes_ = 0;
    bool writing_ = false;

    bool closing_ = false, close_started_ = false;
    int close_code_ = 1000;
    std::string close_reason_;
    std::function<void()> close_done_;

    int end_code_ = 1006;
    std::string end_reason_;

    // With an inspector attached: this connection in its listing, once open.
    std::shared_ptr<Telemetry> telemetry_;
    WebSocketRecord listed_;
    std::uint64_t listed_id_ = 0;
    std::shared_ptr<WebSocketRegistry::Counters> counters_;
};

}  // namespace

void start_websocket(Worker& worker, asio::ip::tcp::socket socket, const Request& upgrade, WebSocketRoute route,
                     std::shared_ptr<WebSocketEndpoint> endpoint) {
    std::make_shared<WebSocketSession<asio::ip::tcp::socket>>(worker, std::move(socket), upgrade, route, std::move(endpoint))
        ->start();
}

#if CELLO_TLS
void start_websocket(Worker& worker, TlsStream stream, const Request& upgrade, WebSocketRoute route,
                     std::shared_ptr<WebSocketEndpoint> endpoint) {
    std::make_shared<WebSocketSession<TlsStream>>(worker, std::move(stream), upgrade, route, std::move(endpoint))->start();
}
#endif

}  // namespace cello::engine::net
