#include "inspector/loadgen/client_transport.hpp"

#include <boost/asio/connect.hpp>

namespace cello::inspector::loadgen {

namespace asio = boost::asio;
using boost::system::error_code;

void ClientTransport::open(const RunPlan& plan, std::function<void(error_code)> done) {
#if CELLO_TLS
    if (plan.tls) {
        auto stream = std::make_shared<TlsStream>(io_, *plan.tls);
        tls_ = stream;
        SSL_set_tlsext_host_name(stream->native_handle(), plan.config.host.c_str());  // SNI
        asio::async_connect(stream->next_layer(), plan.endpoints,
                            [stream, done = std::move(done)](error_code ec, const asio::ip::tcp::endpoint&) mutable {
                                if (ec) return done(ec);
                                error_code ignored;
                                stream->next_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
                                stream->async_handshake(asio::ssl::stream_base::client,
                                                        [stream, done = std::move(done)](error_code ec2) { done(ec2); });
                            });
        return;
    }
#endif
    asio::async_connect(socket_, plan.endpoints, [this, done = std::move(done)](error_code ec, const asio::ip::tcp::endpoint&) {
        error_code ignored;
        // Small requests must not wait for Nagle.
        if (!ec) socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
        done(ec);
    });
}

void ClientTransport::close() noexcept {
    error_code ignored;
    socket_.close(ignored);
#if CELLO_TLS
    if (tls_) {
        tls_->next_layer().close(ignored);
        tls_.reset();
    }
#endif
}

std::string_view ClientTransport::alpn() const noexcept {
#if CELLO_TLS
    if (tls_) {
        const unsigned char* name = nullptr;
        unsigned int size = 0;
        SSL_get0_alpn_selected(tls_->native_handle(), &name, &size);
        if (name) return {reinterpret_cast<const char*>(name), size};
    }
#endif
    return {};
}

}  // namespace cello::inspector::loadgen
