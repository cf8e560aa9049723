#include "engine/tls/tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

namespace cello::engine {

namespace {

// "CN=alice,O=Example" (RFC 2253, UTF-8 kept as is).
std::string name_text(const X509_NAME* name) {
    if (!name) return {};
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) return {};
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

}  // namespace

TlsInfo describe_tls(SSL* ssl) {
    TlsInfo info;
    info.version = SSL_get_version(ssl);
    const int version = SSL_version(ssl);
    info.version_code = version == TLS1_3_VERSION ? 13 : version == TLS1_2_VERSION ? 12 : 0;
    if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) info.cipher = SSL_CIPHER_get_name(cipher);
    const unsigned char* alpn = nullptr;
    unsigned int alpn_size = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_size);
    if (alpn) info.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_size);
    if (const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) info.server_name = sni;
    info.resumed = SSL_session_reused(ssl) == 1;
    // Only a certificate that verified gets here: the handshake fails otherwise.
    if (X509* peer = SSL_get0_peer_certificate(ssl)) {
        info.client_subject = name_text(X509_get_subject_name(peer));
        info.client_issuer = name_text(X509_get_issuer_name(peer));
    }
    return info;
}

}  // namespace cello::engine
