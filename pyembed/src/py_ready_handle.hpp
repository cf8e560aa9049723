// A native entry for asyncio's ready queue, for the callbacks an asyncio Task schedules for itself
// (its next step, its wake-up when an awaited future is done). EngineLoop.call_soon queues these
// instead of an asyncio.Handle: asyncio's call_soon and Handle are Python code, about 1 µs of every
// await. The Task throws away what call_soon returns, so nothing but the loop ever sees the entry,
// and the loop only reads `_cancelled` and calls `_run()` (plus `_callback` in debug mode).
#pragma once

#include <Python.h>

namespace cello::py {

// Whether `callback` (with `nargs` positional arguments) is one of the Task's own callbacks above,
// which only a Task passes to call_soon and which ignore what it returns.
bool is_task_callback(PyObject* callback, Py_ssize_t nargs);

// A new ready entry that runs `callback(*args)` (nargs 0 or 1) in `context`, reporting an exception
// to `loop.call_exception_handler` as asyncio's Handle does. Null with a Python error on failure.
PyObject* make_ready_handle(PyObject* loop, PyObject* callback, PyObject* const* args, Py_ssize_t nargs,
                            PyObject* context);

// Readies the type; once, at module initialisation (GIL held).
bool init_ready_handle_type();

}  // namespace cello::py
