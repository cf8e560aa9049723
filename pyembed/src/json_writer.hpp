// Python objects -> compact JSON bytes, walking PyObject* directly (never json.dumps).
#pragma once

#include <Python.h>

#include <string>

namespace cello::py {

inline constexpr int kMaxJsonDepth = 256;

// Appends the JSON text of `obj` to `out`. On failure returns false and sets `error` to a message
// naming the offending type or value; no Python exception is left set. Requires the GIL.
bool write_json(PyObject* obj, std::string& out, std::string& error);

}  // namespace cello::py
