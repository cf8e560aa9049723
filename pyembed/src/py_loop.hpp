// Each engine thread's asyncio loop (cello/_loop.py), run on that thread and driven by its
// reactor; and the native start of a handler's Task on it.
#pragma once

#include "engine/thread_reactor.hpp"

#include <pybind11/pybind11.h>

#include <memory>

namespace cello::py {

namespace pyb = pybind11;

// ServerOptions::drive: runs `thread_main(reactor)` (cello._loop.run_thread with the app's hooks)
// on the engine thread, holding the GIL except while the reactor runs.
void drive_engine_thread(engine::ThreadReactor& reactor, PyObject* thread_main);

// Wraps `coro` in an asyncio.Task named `name` on this thread's loop, in `context`, and runs its
// first step now (not on the next loop iteration). Returns the task (new reference), done if the
// coroutine finished without suspending; null with a Python error if the Task could not be made.
PyObject* start_task(PyObject* coro, PyObject* context, PyObject* name);

// Interned method names for the calls on a handler's Task.
struct TaskMethods {
    PyObject* done;
    PyObject* result;
    PyObject* cancel;
    PyObject* cancelled;
    PyObject* add_done_callback;
};
const TaskMethods& task_methods();

// What a done callback runs: on_done(future), with the GIL; an exception from it is printed, never
// propagated.
class DoneTarget {
public:
    virtual ~DoneTarget() = default;
    virtual void on_done(PyObject* future) = 0;
};

// A done callback for a Future or Task, as a native callable holding `target`: when the future
// schedules it through EngineLoop.call_soon it runs at once (saving a loop iteration per awaiting
// request); elsewhere it runs when called. One Python allocation.
PyObject* make_done_callback(std::shared_ptr<DoneTarget> target);

// This engine thread's reactor and asyncio loop (borrowed); null on any other thread.
engine::ThreadReactor* current_reactor();
PyObject* current_engine_loop();

void define_loop(pyb::module_& m);

}  // namespace cello::py
