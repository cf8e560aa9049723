// JSON bytes -> Python objects, parsed with simdjson.
#pragma once

#include <Python.h>

#include <string>
#include <string_view>

namespace cello::py {

// Returns a new reference, or nullptr with `error` set (no Python exception left set).
// Integers beyond 64 bits fall back to Python's json module, which handles any size up to the
// interpreter's limit (sys.get_int_max_str_digits(), 4300 digits by default). Refused like any
// invalid JSON: NaN/Infinity, numbers beyond a double (1e400), nesting deeper than 1024 (simdjson's
// limit; Python's recursion limit in the fallback), invalid UTF-8 and unpaired surrogate escapes.
PyObject* read_json(std::string_view text, std::string& error);

}  // namespace cello::py
