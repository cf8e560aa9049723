// Python-side classes that native code constructs or recognises, registered once by the
// `cello` package at import time (cello/__init__.py calls _cello._bind).
#pragma once

#include <pybind11/pybind11.h>

#include <string>

namespace cello::py {

namespace pyb = pybind11;

struct Bindings {
    pyb::object response_type;  // cello.Response
    pyb::object http_error;     // cello.HTTPError
    pyb::object headers_type;   // cello.datastructures.Headers
    pyb::object query_type;     // cello.datastructures.QueryParams
    pyb::object parse_form;     // cello.forms.parse_form(content_type, body) -> FormData
    pyb::object format_exc;     // traceback.format_exception
};

// Valid after _cello._bind; throws std::runtime_error before.
Bindings& bindings();
void set_bindings(Bindings b);
void clear_bindings();  // at interpreter shutdown

// Raises cello.HTTPError(status, detail) as a Python exception (for pybind11 to propagate).
[[noreturn]] void raise_http_error(int status, const std::string& detail);

}  // namespace cello::py
