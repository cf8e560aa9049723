// A request's trace from Python: while an inspector is attached, each handler runs with a
// `_cello.RequestTrace` in the context variable `_cello.request_trace`; cello.db records its
// queries there and the logging hook its log lines (cello/_trace.py). When the handler is done,
// the trace goes into the response, and from there to the inspector (engine/telemetry).
#pragma once

#include "engine/http_types.hpp"

#include <pybind11/pybind11.h>

namespace cello::py {

namespace pyb = pybind11;

void define_request_trace(pyb::module_& m);

// For the handler about to run in the current (entered, request-own) context: a new trace, set
// in the context variable; null when `req` asks for none (or it cannot be made). GIL held.
pyb::object begin_trace(const engine::Request& req);
// What `trace` recorded, moved into `res.trace` (the trace records nothing more). GIL held.
void end_trace(pyb::object& trace, engine::Response& res);

}  // namespace cello::py
