// What a server's TLS is made of (ServerOptions::tls): paths and versions, no OpenSSL types.
#pragma once

#include <string>

namespace cello::engine {

struct TlsSettings {
    std::string cert_path;  // PEM: the server's certificate, then its chain
    std::string key_path;   // PEM: its private key
    std::string ca_path;    // PEM file or directory of CAs that sign client certificates; empty: none asked
    std::string min_version = "1.2";  // "1.2" or "1.3" (1.0 and 1.1 are never offered)
    std::string max_version = "1.3";
    bool require_client_cert = false;  // mTLS: a client without a certificate from ca_path is refused
    bool http2 = false;  // ALPN offers h2 before http/1.1
};

}  // namespace cello::engine
