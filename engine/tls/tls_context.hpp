// The server's OpenSSL context (Asio's ssl::context), built from TlsSettings with safe defaults, and
// replaceable while serving: a reload (SIGHUP) builds a new one from the same files; connections
// keep the context they started with, new ones get the new one.
#pragma once

#include "engine/tls/tls_settings.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <stdexcept>

namespace cello::engine {

// TLS cannot be served as configured: the message names the file and what is wrong with it.
class TlsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A new context: certificate chain and key (checked to match), TLS 1.2+ only, forward-secret AEAD
// ciphers, session resumption (cache and tickets), ALPN (h2 when on, http/1.1), client certificates per the
// settings. Throws TlsError.
std::shared_ptr<boost::asio::ssl::context> make_ssl_context(const TlsSettings& settings);

class TlsContext {
public:
    explicit TlsContext(TlsSettings settings);  // throws TlsError

    std::shared_ptr<boost::asio::ssl::context> current() const;
    // Reads the files again. Throws TlsError, and then the context in use stays.
    void reload();
    const TlsSettings& settings() const noexcept { return settings_; }

private:
    const TlsSettings settings_;
    mutable std::mutex mutex_;
    std::shared_ptr<boost::asio::ssl::context> ctx_;
};

}  // namespace cello::engine
