// A request's trace from Python (engine/telemetry/request_trace.hpp), while an inspector is
// attached. cello.db records each statement and the logging hook each log line through
// `_cello.current_trace()`, which finds the running request's trace:
// * a sync handler: the engine thread's slot, set around the call (a pointer store per request;
//   the trace object itself is made at the first record);
// * an async handler: the context variable `_cello.request_trace`, set in the request's own context
//   before its Task starts, so the Tasks it starts (asyncio.gather) carry it too.
// When the handler is done its records go into the response, and from there to the inspector.
#pragma once

#include "engine/http_types.hpp"

#include <pybind11/pybind11.h>

namespace cello::py {

namespace pyb = pybind11;

void define_request_trace(pyb::module_& m);

// What a request's handler records: the request's level, except that counts (the inspector's
// per-route query figures) are only kept once the process has opened a database pool: an app
// without one pays nothing for them. Detail capture (Records) also keeps log lines, so it stays.
engine::TraceLevel trace_level(const engine::Request& req) noexcept;
void note_database_opened() noexcept;  // a pool was made (py_database.cpp)

// While a sync handler runs on this thread: queries and log lines go to this request.
class SyncTraceScope {
public:
    explicit SyncTraceScope(engine::TraceLevel level) noexcept;
    ~SyncTraceScope();  // drops a trace nobody took (GIL held)
    SyncTraceScope(const SyncTraceScope&) = delete;
    SyncTraceScope& operator=(const SyncTraceScope&) = delete;
    // The trace made during the call (null when nothing was recorded); the scope stops recording.
    pyb::object close() noexcept;

private:
    bool on_;
};

// For an async handler's Task about to start in the current (entered, request-own) context: a new
// trace, set in the context variable; null when `level` is Off or it cannot be made. GIL held.
pyb::object begin_async_trace(engine::TraceLevel level);
// What `trace` recorded, moved into `res.trace` (the trace records nothing more). GIL held.
void end_trace(pyb::object& trace, engine::Response& res);

}  // namespace cello::py
