// What a request's TLS connection negotiated (Request::tls), for handlers and the inspector.
#pragma once

#include <cstdint>
#include <string>

namespace cello::engine {

struct TlsInfo {
    std::string version;         // "TLSv1.3", "TLSv1.2"
    std::uint8_t version_code = 0;  // 13, 12 (what telemetry records)
    std::string cipher;          // OpenSSL's name, e.g. "TLS_AES_256_GCM_SHA384"
    std::string alpn;            // the protocol ALPN chose ("http/1.1"), empty without ALPN
    std::string server_name;     // SNI, empty when the client sent none
    std::string client_subject;  // the client certificate's subject (RFC 2253), empty without one
    std::string client_issuer;   // and its issuer
    bool resumed = false;        // an earlier session resumed (no full handshake)
};

}  // namespace cello::engine
