// A connection's TLS: Asio's ssl::stream over the accepted TCP socket, and what its handshake
// negotiated.
#pragma once

#include "engine/tls/tls_info.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace cello::engine {

using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// After the handshake: version, cipher, ALPN, SNI, resumption and the client's certificate.
TlsInfo describe_tls(SSL* ssl);

}  // namespace cello::engine
