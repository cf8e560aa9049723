#include "bindings.hpp"

#include <memory>
#include <stdexcept>

namespace cello::py {

namespace {
std::unique_ptr<Bindings> g_bindings;
}

Bindings& bindings() {
    if (!g_bindings) throw std::runtime_error("_cello used before the cello package bound its classes");
    return *g_bindings;
}

void set_bindings(Bindings b) { g_bindings = std::make_unique<Bindings>(std::move(b)); }

void clear_bindings() { g_bindings.reset(); }

void raise_http_error(int status, const std::string& detail) {
    pyb::object exc = bindings().http_error(status, detail);
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
    throw pyb::error_already_set();
}

}  // namespace cello::py
