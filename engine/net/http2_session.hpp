// An HTTP/2 connection (nghttp2 does the framing, HPACK and flow control): each stream's request
// goes through the same dispatch as HTTP/1.1's (engine/net/exchange_driver.hpp). Taken over from
// an HTTP/1.1 connection whose client chose h2: by ALPN over TLS, or by starting with the
// connection preface in cleartext (h2c with prior knowledge). Private to engine/.
#pragma once

#include "engine/tls/tls_info.hpp"

#include <boost/asio/ip/tcp.hpp>
#if CELLO_TLS
#include "engine/tls/tls_stream.hpp"
#endif

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cello::engine::net {

class Worker;

// Who the client is, as the connection that hands it over knows it.
struct Peer {
    std::string ip;
    std::uint16_t port = 0;
    std::unique_ptr<TlsInfo> tls;
};

// What a cleartext connection's first bytes say: 1 they start with HTTP/2's connection preface,
// 0 they do not, -1 too few to tell yet.
int starts_http2(std::string_view received) noexcept;

// From now on the connection speaks HTTP/2. `received`: what was read already (the preface...).
void start_http2(Worker& worker, boost::asio::ip::tcp::socket socket, std::string received, Peer peer);
#if CELLO_TLS
void start_http2(Worker& worker, TlsStream stream, std::shared_ptr<boost::asio::ssl::context> context, Peer peer);
#endif

}  // namespace cello::engine::net
