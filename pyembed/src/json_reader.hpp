// JSON bytes -> Python objects, parsed with simdjson.
#pragma once

#include <Python.h>

#include <string>
#include <string_view>

namespace cello::py {

// Returns a new reference, or nullptr with `error` set (no Python exception left set).
// Integers beyond 64 bits fall back to Python's json module, which handles any size.
PyObject* read_json(std::string_view text, std::string& error);

}  // namespace cello::py
