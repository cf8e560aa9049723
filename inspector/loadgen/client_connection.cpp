#include "inspector/loadgen/client_connection.hpp"

#include "inspector/loadgen/load_worker.hpp"

#include <boost/asio/connect.hpp>
#if CELLO_TLS
#include <boost/asio/ssl/error.hpp>
#endif
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

namespace cello::inspector::loadgen {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
}  // namespace

ClientConnection::ClientConnection(Worker& worker, unsigned index)
    : LoadConnection(worker, index), socket_(worker.io()), mix_(plan_.config.targets) {
    mix_.advance(index);  // neighbouring connections start on different paths
    batch_.reserve(plan_.config.pipeline);
}

void ClientConnection::connect() {
    if (state_ != State::Closed) return;
    state_ = State::Connecting;
    connect_started_ = Clock::now();
    auto connected = [this, epoch = epoch_](error_code ec, const asio::ip::tcp::endpoint&) {
        if (epoch != epoch_) return;
        worker_.connect_settled();
        if (ec) {
            fail(&ErrorCounts::connect);
            return;
        }
#if CELLO_TLS
        if (tls_) {
            handshake();
            return;
        }
#endif
        on_connected();
    };
#if CELLO_TLS
    if (plan_.tls) {
        tls_ = std::make_shared<TlsStream>(worker_.io(), *plan_.tls);
        SSL_set_tlsext_host_name(tls_->native_handle(), plan_.config.host.c_str());  // SNI
        asio::async_connect(tls_->next_layer(), plan_.endpoints, std::move(connected));
        return;
    }
#endif
    asio::async_connect(socket_, plan_.endpoints, std::move(connected));
}

#if CELLO_TLS
void ClientConnection::handshake() {
    tls_->async_handshake(asio::ssl::stream_base::client, [this, epoch = epoch_, hold = tls_](error_code ec) {
        if (epoch != epoch_) return;
        if (ec) {
            fail(&ErrorCounts::connect);
            return;
        }
        on_connected();
    });
}
#endif

void ClientConnection::on_connected() {
    state_ = State::Open;
    error_code ignored;
    // Small requests must not wait for Nagle.
#if CELLO_TLS
    if (tls_) tls_->next_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
    else
#endif
        socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    parser_.emplace();
    if (plan_.head) parser_->skip(true);
    read();
    if (worker_.running()) pump();
}

void ClientConnection::read() {
    auto done = [this, epoch = epoch_](error_code ec, std::size_t n) {
        if (epoch != epoch_) return;
        if (ec) {
            // A close-delimited body ends at EOF: that completes the response.
            if (ec == asio::error::eof && parser_ && parser_->is_header_done() && parser_->need_eof()) {
                error_code eof_ec;
                parser_->put_eof(eof_ec);
                if (!eof_ec && parser_->is_done()) complete(Clock::now());
            }
            // The server may close an idle keep-alive connection; that is no error.
            if (in_flight() == 0 && ec == asio::error::eof) {
                reset();
                if (worker_.running()) connect();
                return;
            }
            fail(&ErrorCounts::read);
            return;
        }
        on_read(n);
    };
#if CELLO_TLS
    if (tls_) {
        tls_->async_read_some(buffer_.prepare(kReadChunk), [hold = tls_, done = std::move(done)](error_code ec, std::size_t n) mutable {
            if (ec == asio::ssl::error::stream_truncated) ec = asio::error::eof;  // closed without close_notify
            done(ec, n);
        });
        return;
    }
#endif
    socket_.async_read_some(buffer_.prepare(kReadChunk), std::move(done));
}

void ClientConnection::on_read(std::size_t n) {
    buffer_.commit(n);
    worker_.count_bytes(n);
    if (!parse(Clock::now())) return;  // the connection was reset
    if (!worker_.running()) return;
    pump();
    read();
}

// Feeds the buffer to the parser until it needs more; completes each response on the way.
// False when the connection had to be reset.
bool ClientConnection::parse(Clock::time_point now) {
    while (buffer_.size() > 0) {
        error_code ec;
        const auto used = parser_->put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec == http::error::need_more) break;
        if (ec) {
            fail(&ErrorCounts::read);
            return false;
        }
        if (!parser_->is_done()) {
            if (used == 0) break;
            continue;
        }
        if (const unsigned st = parser_->status(); st >= 100 && st < 200 && st != 101) {
            parser_.emplace();  // an interim answer (100 Continue, 103): the real one follows
            if (plan_.head) parser_->skip(true);
            continue;
        }
        const bool keep_alive = parser_->keep_alive();
        complete(now);
        if (!keep_alive) {  // the server said Connection: close; requests still in flight are lost
            reset();
            if (worker_.running()) connect();
            return false;
        }
    }
    return true;
}

void ClientConnection::complete(Clock::time_point now) {
    if (in_flight() > 0) {  // a response nobody asked for (an early 408, say) is not a request
        worker_.record(oldest(), parser_->status(), now);
        pop();
    }
    parser_.emplace();
    if (plan_.head) parser_->skip(true);
}

void ClientConnection::pump() {
    if (state_ != State::Open || writing_ || !worker_.running()) return;
    const auto now = Clock::now();
    if (plan_.schedule) {
        pump_open_loop(now);
        return;
    }
    while (has_room()) {
        const auto target = static_cast<std::uint32_t>(mix_.next());
        push({now, now, target});
        batch_.push_back(asio::buffer(plan_.requests[target]));
    }
    send_batch();
}

void ClientConnection::pump_open_loop(Clock::time_point now) {
    while (has_room()) {
        const auto due = plan_.t0 + plan_.schedule->due(index_, next_k_);
        if (due >= plan_.end) return send_batch();  // the run ends before this one is due
        if (due > now) {
            if (!timer_armed_) {
                timer_armed_ = true;
                timer_.expires_at(due);
                timer_.async_wait([this, epoch = epoch_](error_code ec) {
                    if (epoch != epoch_ || ec) return;
                    timer_armed_ = false;
                    pump();
                });
            }
            break;
        }
        // Late requests go out at once, their latency still counted from when they were due.
        const auto target = static_cast<std::uint32_t>(mix_.next());
        push({due, now, target});
        ++next_k_;
        batch_.push_back(asio::buffer(plan_.requests[target]));
    }
    send_batch();
}

void ClientConnection::send_batch() {
    if (batch_.empty()) return;
    writing_ = true;
    auto on_written = [this, epoch = epoch_](error_code ec, std::size_t) {
        if (epoch != epoch_) return;
        writing_ = false;
        if (ec) {
            fail(&ErrorCounts::write);
            return;
        }
        pump();
    };
#if CELLO_TLS
    if (tls_) {
        asio::async_write(*tls_, batch_, [hold = tls_, on_written = std::move(on_written)](error_code ec, std::size_t n) mutable {
            on_written(ec, n);
        });
        batch_.clear();
        return;
    }
#endif
    if (batch_.size() == 1) asio::async_write(socket_, batch_.front(), std::move(on_written));
    else asio::async_write(socket_, batch_, std::move(on_written));
    batch_.clear();  // async_write copied the buffer sequence
}

void ClientConnection::close_transport() {
    error_code ignored;
    socket_.close(ignored);
#if CELLO_TLS
    if (tls_) {
        tls_->next_layer().close(ignored);  // its pending operations end (they hold the stream)
        tls_.reset();
    }
#endif
    batch_.clear();
    buffer_.clear();
    parser_.reset();
}

}  // namespace cello::inspector::loadgen
