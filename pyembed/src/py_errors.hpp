// Turning a pending Python exception into text for native error messages.
#pragma once

#include <Python.h>

#include <string>

namespace cello::py {

// Clears the pending exception and returns "<prefix>: <str(exception)>" (just `prefix` if it has
// no text). Requires the GIL.
std::string take_error_text(const std::string& prefix);

}  // namespace cello::py
