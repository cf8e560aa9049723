#include "py_tls.hpp"

#if CELLO_TLS
#include "engine/tls/tls_context.hpp"
#endif

namespace cello::py {

#if CELLO_TLS
std::shared_ptr<engine::TlsContext> make_tls_context(const pyb::dict& settings) {
    engine::TlsSettings s;
    s.cert_path = settings["cert_path"].cast<std::string>();
    s.key_path = settings["key_path"].cast<std::string>();
    s.ca_path = settings["ca_path"].cast<std::string>();
    s.min_version = settings["min_version"].cast<std::string>();
    s.max_version = settings["max_version"].cast<std::string>();
    s.require_client_cert = settings["require_client_cert"].cast<bool>();
    s.http2 = CELLO_HTTP2 && settings.contains("http2") && settings["http2"].cast<bool>();
    try {
        pyb::gil_scoped_release release;  // reading files
        return std::make_shared<engine::TlsContext>(std::move(s));
    } catch (const engine::TlsError& e) {
        throw pyb::value_error(e.what());
    }
}

void reload_tls_context(engine::TlsContext& context) {
    try {
        pyb::gil_scoped_release release;
        context.reload();
    } catch (const engine::TlsError& e) {
        throw pyb::value_error(e.what());
    }
}
#else
std::shared_ptr<engine::TlsContext> make_tls_context(const pyb::dict&) {
    throw pyb::value_error("TLS is not in this build of Cello (Windows builds have no OpenSSL yet; docs/tls.md)");
}

void reload_tls_context(engine::TlsContext&) {}
#endif

void define_tls(pyb::module_& m) {
    m.attr("HAS_TLS") = pyb::bool_(CELLO_TLS != 0);
    m.attr("HAS_HTTP2") = pyb::bool_(CELLO_HTTP2 != 0);
    m.def("check_tls", [](const pyb::dict& settings) { make_tls_context(settings); }, pyb::arg("settings"),
          "Raises ValueError unless a server could start with these TLS settings (cello.validate_tls_config).");
}

}  // namespace cello::py
