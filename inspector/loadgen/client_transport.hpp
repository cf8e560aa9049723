// The byte stream under an HTTP connection of a run: TCP, or for https:// TLS over TCP (SNI, the
// run's ALPN). Shared by the HTTP/1.1 and HTTP/2 connections; runs on its worker's thread.
#pragma once

#include "inspector/loadgen/run_plan.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#if CELLO_TLS
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#endif

#include <functional>
#include <memory>
#include <string_view>

namespace cello::inspector::loadgen {

class ClientTransport {
public:
    explicit ClientTransport(boost::asio::io_context& io) : io_(io), socket_(io) {}

    // Connects to the plan's endpoints (and over TLS handshakes), sets TCP_NODELAY, then calls
    // `done`. Closing meanwhile makes it end with an error.
    void open(const RunPlan& plan, std::function<void(boost::system::error_code)> done);
    void close() noexcept;  // pending operations end with operation_aborted
    // The protocol the server chose by ALPN ("h2", "http/1.1"); empty over TCP or without ALPN.
    std::string_view alpn() const noexcept;

    // A close without TLS close_notify reads as EOF, as it does over TCP.
    template <class Handler>
    void read_some(boost::asio::mutable_buffer into, Handler&& handler) {
#if CELLO_TLS
        if (tls_) {
            tls_->async_read_some(into, [hold = tls_, h = std::forward<Handler>(handler)](boost::system::error_code ec,
                                                                                          std::size_t n) mutable {
                if (ec == boost::asio::ssl::error::stream_truncated) ec = boost::asio::error::eof;
                h(ec, n);
            });
            return;
        }
#endif
        socket_.async_read_some(into, std::forward<Handler>(handler));
    }

    template <class Buffers, class Handler>
    void write(const Buffers& buffers, Handler&& handler) {
#if CELLO_TLS
        if (tls_) {
            boost::asio::async_write(*tls_, buffers, [hold = tls_, h = std::forward<Handler>(handler)](
                                                         boost::system::error_code ec, std::size_t n) mutable { h(ec, n); });
            return;
        }
#endif
        boost::asio::async_write(socket_, buffers, std::forward<Handler>(handler));
    }

private:
    boost::asio::io_context& io_;
    boost::asio::ip::tcp::socket socket_;
#if CELLO_TLS
    // A stream per connection attempt, owning its socket; each pending operation holds it, so a
    // closed attempt's operations end on their own stream.
    using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
    std::shared_ptr<TlsStream> tls_;
#endif
};

}  // namespace cello::inspector::loadgen
