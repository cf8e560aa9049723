#include "engine/tls/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <sys/stat.h>

namespace cello::engine {

namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2's suites: forward secret (ECDHE) and AEAD only, as Mozilla's "intermediate" profile
// without finite-field DHE. TLS 1.3's are OpenSSL's defaults (all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// OpenSSL's queued errors as one line (and the queue emptied).
std::string openssl_errors() {
    std::string out;
    while (const unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? "no detail" : out;
}

// A clear message for a file that is not there or not readable, before OpenSSL's terser one.
void check_readable(const char* what, const std::string& path, bool directory_ok = false) {
    if (path.empty()) throw TlsError(std::string(what) + ": no file given");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw TlsError(std::string(what) + " '" + path + "' cannot be read: " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        if (directory_ok) return;
        throw TlsError(std::string(what) + " '" + path + "' is a directory, not a PEM file");
    }
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw TlsError(std::string(what) + " '" + path + "' cannot be read: " + std::strerror(errno));
    std::fclose(f);
}

int protocol_version(std::string_view v, const char* which) {
    if (v == "1.2") return TLS1_2_VERSION;
    if (v == "1.3") return TLS1_3_VERSION;
    if (v == "1.0" || v == "1.1")
        throw TlsError(std::string(which) + " \"" + std::string(v) +
                       "\": TLS 1.0 and 1.1 are not offered (they are insecure); use \"1.2\" or \"1.3\"");
    throw TlsError(std::string(which) + " must be \"1.2\" or \"1.3\", not \"" + std::string(v) + "\"");
}

// ALPN: the protocols this server speaks over TLS, in its order of preference.
struct AlpnList {
    const unsigned char* data;
    unsigned int size;
};
constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
constexpr unsigned char kH2AndHttp11[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
constexpr AlpnList kAlpnHttp11{kHttp11, sizeof kHttp11};
constexpr AlpnList kAlpnH2{kH2AndHttp11, sizeof kH2AndHttp11};

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* offered,
                unsigned int offered_len, void* arg) {
    const auto* ours = static_cast<const AlpnList*>(arg);
    unsigned char* chosen = nullptr;
    // The server's order wins: h2 when the client offers it.
    if (SSL_select_next_proto(&chosen, out_len, ours->data, ours->size, offered, offered_len) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;  // nothing in common: no ALPN, HTTP/1.1 as without it
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

// An encrypted key is refused rather than prompting on the terminal for its passphrase.
int no_passphrase(char*, int, int, void*) { return 0; }

struct BioDeleter {
    void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct KeyDeleter {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};

void use_certificate_and_key(SSL_CTX* c, const TlsSettings& s) {
    check_readable("TLS certificate", s.cert_path);
    check_readable("TLS private key", s.key_path);
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(c, s.cert_path.c_str()) != 1)
        throw TlsError("TLS certificate '" + s.cert_path + "' holds no usable PEM certificate (" + openssl_errors() + ")");
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new_file(s.key_path.c_str(), "r"));
    std::unique_ptr<EVP_PKEY, KeyDeleter> key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
    if (!key)
        throw TlsError("TLS private key '" + s.key_path + "' holds no PEM private key, or an encrypted one (" +
                       openssl_errors() + ")");
    X509* leaf = SSL_CTX_get0_certificate(c);
    if (!leaf || X509_check_private_key(leaf, key.get()) != 1) {
        ERR_clear_error();
        throw TlsError("TLS private key '" + s.key_path + "' does not match the certificate '" + s.cert_path + "'");
    }
    if (SSL_CTX_use_PrivateKey(c, key.get()) != 1)
        throw TlsError("TLS private key '" + s.key_path + "' cannot be used (" + openssl_errors() + ")");
}

void ask_client_certificates(SSL_CTX* c, const TlsSettings& s) {
    if (s.ca_path.empty()) {
        if (s.require_client_cert)
            throw TlsError("require_client_cert needs ca_path: the CA certificates that sign the accepted client certificates");
        return;
    }
    check_readable("TLS CA file", s.ca_path, /*directory_ok=*/true);
    struct stat st {};
    const bool directory = ::stat(s.ca_path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    ERR_clear_error();
    const int loaded = directory ? SSL_CTX_load_verify_locations(c, nullptr, s.ca_path.c_str())
                                 : SSL_CTX_load_verify_locations(c, s.ca_path.c_str(), nullptr);
    if (loaded != 1) throw TlsError("TLS CA file '" + s.ca_path + "' holds no usable PEM certificate (" + openssl_errors() + ")");
    if (!directory) {
        // The CAs named to the client in the handshake, so that it picks a certificate they signed.
        if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.ca_path.c_str())) SSL_CTX_set_client_CA_list(c, names);
        ERR_clear_error();
    }
    // Without require_client_cert a certificate is asked for but optional; one that is sent must verify.
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | (s.require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), nullptr);
}

}  // namespace

std::shared_ptr<ssl::context> make_ssl_context(const TlsSettings& s) {
    const int min = protocol_version(s.min_version, "min_version");
    const int max = protocol_version(s.max_version, "max_version");
    if (min > max) throw TlsError("min_version \"" + s.min_version + "\" is above max_version \"" + s.max_version + "\"");

    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* c = ctx->native_handle();
    SSL_CTX_set_min_proto_version(c, min);
    SSL_CTX_set_max_proto_version(c, max);
    // A client that closes TCP without close_notify reads as the end of input, as over TCP (HTTP
    // frames its messages itself): its answers still go out to a half-closed connection.
    SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1) throw TlsError("TLS: OpenSSL refused the cipher list (" + openssl_errors() + ")");
    // An idle keep-alive connection gives its read and write buffers back (~34 KiB each).
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    use_certificate_and_key(c, s);
    ask_client_certificates(c, s);
    // Resumption: a server-side session cache (per process) and tickets (OpenSSL's default).
    static constexpr unsigned char kSessionContext[] = "cello";
    SSL_CTX_set_session_id_context(c, kSessionContext, sizeof kSessionContext - 1);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_alpn_select_cb(c, select_alpn, const_cast<AlpnList*>(s.http2 ? &kAlpnH2 : &kAlpnHttp11));
    return ctx;
}

TlsContext::TlsContext(TlsSettings settings) : settings_(std::move(settings)), ctx_(make_ssl_context(settings_)) {}

std::shared_ptr<ssl::context> TlsContext::current() const {
    std::lock_guard lock(mutex_);
    return ctx_;
}

void TlsContext::reload() {
    auto fresh = make_ssl_context(settings_);  // throws before anything changes
    std::lock_guard lock(mutex_);
    ctx_ = std::move(fresh);
}

}  // namespace cello::engine
