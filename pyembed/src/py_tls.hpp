// TLS for Python: cello.TlsConfig's settings into the engine's context, and the check behind
// cello.validate_tls_config.
#pragma once

#include "engine/server_options.hpp"

#include <pybind11/pybind11.h>

#include <memory>

namespace cello::py {

namespace pyb = pybind11;

// The engine's TLS context for TlsConfig.settings(); raises ValueError naming the file and what is
// wrong (or that this build has no TLS).
std::shared_ptr<engine::TlsContext> make_tls_context(const pyb::dict& settings);
// Reads the context's files again; ValueError (and the old context stays) when they do not serve.
void reload_tls_context(engine::TlsContext& context);

// _cello.HAS_TLS, _cello.check_tls(settings).
void define_tls(pyb::module_& m);

}  // namespace cello::py
