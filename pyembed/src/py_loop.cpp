#include "py_loop.hpp"

#include "engine_thread_state.hpp"
#include "gil_once.hpp"
#include "py_ready_handle.hpp"

#include <pybind11/stl.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace cello::py {

namespace {

thread_local engine::ThreadReactor* t_reactor = nullptr;
thread_local PyObject* t_loop = nullptr;         // strong: the EngineLoop of this thread
thread_local PyObject** t_first_step = nullptr;  // armed while start_task makes a Task
thread_local PyObject* t_first_context = nullptr;  // the context that Task is made in
thread_local PyObject* t_ready_append = nullptr;  // strong: the bound append of t_loop's ready queue

// The reactor as cello._loop sees it: a handle valid while its thread's drive() runs.
struct ReactorHandle {
    engine::ThreadReactor* reactor;
};

// make_done_callback's object: a callable holding its target inline.
struct DoneCallbackObject {
    PyObject_HEAD
    std::shared_ptr<DoneTarget> target;
};

void run_done_target(DoneTarget& target, PyObject* future) {
    try {
        target.on_done(future);
    } catch (pyb::error_already_set& e) {
        std::fprintf(stderr, "cello: a done callback failed:\n");
        PyErr_Display(e.type().ptr(), e.value().ptr(), e.trace().ptr());  // never exits, unlike PyErr_Print
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cello: a done callback failed: %s\n", e.what());
    }
}

PyObject* done_callback_call(PyObject* self, PyObject* args, PyObject* kwargs) {
    PyObject* future = nullptr;
    if ((kwargs && PyDict_GET_SIZE(kwargs) != 0) || !PyArg_UnpackTuple(args, "done_callback", 1, 1, &future))
        return nullptr;
    run_done_target(*reinterpret_cast<DoneCallbackObject*>(self)->target, future);
    Py_RETURN_NONE;
}

void done_callback_dealloc(PyObject* self) {
    PyTypeObject* type = Py_TYPE(self);
    reinterpret_cast<DoneCallbackObject*>(self)->target.~shared_ptr();
    type->tp_free(self);
    Py_DECREF(type);  // a heap type's instance holds a reference to it
}

PyType_Slot done_callback_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(done_callback_dealloc)},
    {Py_tp_call, reinterpret_cast<void*>(done_callback_call)},
    {Py_tp_doc, const_cast<char*>("The engine's done callback of a handler's Task (py_loop.hpp).")},
    {0, nullptr},
};

PyType_Spec done_callback_spec = {"cello._cello.DoneCallback", sizeof(DoneCallbackObject), 0,
                                  Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, done_callback_slots};

PyTypeObject* done_callback_type = nullptr;

bool is_done_callback(PyObject* o) { return Py_IS_TYPE(o, done_callback_type); }

// Whether a done future has no exception, read without marking it retrieved (`_exception`).
bool finished_without_exception(PyObject* future) {
    static PyObject* const exception_name = PyUnicode_InternFromString("_exception");
    PyObject* exc = PyObject_GetAttr(future, exception_name);
    if (!exc) {
        PyErr_Clear();
        return false;
    }
    const bool none = exc == Py_None;
    Py_DECREF(exc);
    return none;
}

// EngineLoop.call_soon (installed on the class by _install_loop_methods, so that the common case runs
// no Python frame): the first step of a handler's new Task is handed to start_task, which runs it
// at once; anything else tells the reactor the loop has work and goes to the base call_soon.
PyObject* t_base_call_soon = nullptr;  // BaseEventLoop.call_soon (process-wide, set once)

PyObject* loop_call_soon(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    if (t_first_step && nargs == 1 && self == t_loop && kwnames && PyTuple_GET_SIZE(kwnames) == 1 &&
        args[1] == t_first_context) {
        // The Task's own call (its step, in its context): not some other call_soon that happens
        // meanwhile, say from a finalizer the Task's allocation triggered.
        Py_INCREF(args[0]);
        *t_first_step = args[0];
        t_first_step = nullptr;
        Py_RETURN_NONE;
    }
    if (nargs == 2 && is_done_callback(args[0]) && finished_without_exception(args[1])) {
        // The engine's own: no need to wait a loop iteration. (Not for a failed Task: asyncio marks
        // its exception "to be logged" only after scheduling its callbacks, so a callback run here,
        // inside that call, would retrieve it too early and "Task exception was never retrieved"
        // would be printed for an exception that was answered.)
        run_done_target(*reinterpret_cast<DoneCallbackObject*>(args[0])->target, args[1]);
        Py_RETURN_NONE;
    }
    if (t_reactor) t_reactor->nudge();
    if (self == t_loop && t_ready_append && kwnames && PyTuple_GET_SIZE(kwnames) == 1 && args[nargs] != Py_None &&
        is_task_callback(args[0], nargs - 1)) {
        // A Task's own step or wake-up, in its context: queued as asyncio's call_soon would, at the
        // end of the same ready queue, without its Python frames (py_ready_handle.hpp).
        PyObject* handle = make_ready_handle(self, args[0], args + 1, nargs - 1, args[nargs]);
        if (!handle) return nullptr;
        PyObject* r = PyObject_CallOneArg(t_ready_append, handle);
        if (!r) {
            Py_DECREF(handle);
            return nullptr;
        }
        Py_DECREF(r);
        return handle;
    }
    // The base method with self prepended, as a bound call would pass it.
    const Py_ssize_t n = nargs + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
    PyObject* small[8];
    std::vector<PyObject*> big;
    PyObject** full = small;
    if (n + 1 > 8) {
        big.resize(static_cast<std::size_t>(n + 1));
        full = big.data();
    }
    full[0] = self;
    for (Py_ssize_t i = 0; i < n; ++i) full[i + 1] = args[i];
    return PyObject_Vectorcall(t_base_call_soon, full, static_cast<std::size_t>(nargs + 1), kwnames);
}

// EngineLoop.get_debug: what BaseEventLoop.get_debug returns, without its Python frame (every Future
// and Task asks its loop when it is made).
PyObject* debug_name = nullptr;  // interned "_debug"

PyObject* loop_get_debug(PyObject* self, PyObject*) { return PyObject_GetAttr(self, debug_name); }

PyMethodDef get_debug_def = {"get_debug", loop_get_debug, METH_NOARGS, "Whether the loop is in debug mode (asyncio's get_debug)."};

PyMethodDef call_soon_def = {"call_soon", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(loop_call_soon)),
                             METH_FASTCALL | METH_KEYWORDS,
                             "Schedules a callback (asyncio's call_soon), telling the engine's reactor."};

// _cello._reactor_run(timeout): ThreadReactor::run for this thread's loop, called by its selector
// once per loop iteration (a plain C function: no binding layer on that path).
PyObject* reactor_run(PyObject*, PyObject* timeout) {
    if (!t_reactor) {
        PyErr_SetString(PyExc_RuntimeError, "not an engine thread");
        return nullptr;
    }
    std::optional<std::chrono::nanoseconds> t;
    if (timeout != Py_None) {
        const double seconds = PyFloat_AsDouble(timeout);
        if (seconds == -1.0 && PyErr_Occurred()) return nullptr;
        t = std::chrono::nanoseconds(static_cast<long long>(seconds > 0 ? seconds * 1e9 : 0));
    }
    PyThreadState* saved = PyEval_SaveThread();  // engine handlers take the GIL back as they need it
    engine::ThreadReactor::Woke woke;
    try {
        woke = t_reactor->run(t);
    } catch (const std::exception& e) {
        PyEval_RestoreThread(saved);
        PyErr_Format(PyExc_RuntimeError, "engine thread failed: %s", e.what());
        return nullptr;
    }
    PyEval_RestoreThread(saved);
    return PyLong_FromLong(static_cast<long>(woke));
}

// _cello._loop_nudge(when): a timer due at `when` (loop.time(), i.e. time.monotonic(), seconds:
// CLOCK_MONOTONIC, as steady_clock) was added; the reactor returns early only if it would wait past it.
PyObject* loop_nudge(PyObject*, PyObject* when) {
    if (!t_reactor) Py_RETURN_NONE;
    const double seconds = PyFloat_AsDouble(when);
    if (seconds == -1.0 && PyErr_Occurred()) return nullptr;
    const auto at = std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds)));
    t_reactor->nudge_before(at);
    Py_RETURN_NONE;
}

// _cello.engine_loop(): this engine thread's loop, or None. asyncio.get_running_loop() in 3.11
// makes a getpid() system call each time; this is a thread-local read.
PyObject* engine_loop(PyObject*, PyObject*) { return Py_NewRef(t_loop ? t_loop : Py_None); }

PyMethodDef loop_functions[] = {
    {"engine_loop", engine_loop, METH_NOARGS, "This engine thread's running loop, or None (not an engine thread)."},
    {"_reactor_run", reactor_run, METH_O,
     "Runs this engine thread's reactor until its loop has work, its poller is readable, or `timeout` (seconds; "
     "None: no limit) passed. Returns 0 timeout, 1 nudged, 2 readable, 3 finished."},
    {"_loop_nudge", loop_nudge, METH_O,
     "Tells this engine thread's reactor that its loop has a timer due at `when` (loop.time() seconds)."},
    {nullptr, nullptr, 0, nullptr},
};

struct TaskApi {
    PyObject* task_type;  // asyncio.Task
    PyObject* kwnames;    // ("loop", "context", "name")
};

const TaskApi& task_api() {
    static std::atomic<const TaskApi*> slot{nullptr};
    static std::mutex mutex;
    return gil_once(slot, mutex, [] {
        return TaskApi{pyb::object(pyb::module_::import("asyncio").attr("Task")).release().ptr(),
                       pyb::make_tuple("loop", "context", "name").release().ptr()};
    });
}

}  // namespace

const TaskMethods& task_methods() {
    static std::atomic<const TaskMethods*> slot{nullptr};
    static std::mutex mutex;
    return gil_once(slot, mutex, [] {
        auto intern = [](const char* s) { return PyUnicode_InternFromString(s); };
        return TaskMethods{intern("done"), intern("result"), intern("cancel"), intern("cancelled"),
                           intern("add_done_callback")};
    });
}

PyObject* start_task(PyObject* coro, PyObject* context, PyObject* name) {
    const TaskApi& api = task_api();
    if (!t_loop) {
        PyErr_SetString(PyExc_RuntimeError, "no engine event loop on this thread");
        return nullptr;
    }
    PyObject* step = nullptr;
    t_first_step = &step;  // the Task's constructor schedules its first step: EngineLoop.call_soon hands it here
    t_first_context = context;
    PyObject* args[] = {coro, t_loop, context, name};  // a name: else asyncio formats "Task-N" each time
    PyObject* task = PyObject_Vectorcall(api.task_type, args, 1, api.kwnames);
    t_first_step = nullptr;
    t_first_context = nullptr;
    if (!task) {
        Py_XDECREF(step);
        return nullptr;
    }
    if (!step) return task;  // a loop that is not an EngineLoop: the step is queued as usual
    // What asyncio's Handle would do on the next iteration, now: the step, in the Task's context.
    PyObject* r = nullptr;
    if (PyContext_Enter(context) == 0) {
        r = PyObject_CallNoArgs(step);
        if (PyContext_Exit(context) != 0) Py_CLEAR(r);
    }
    Py_DECREF(step);
    if (!r) {  // only BaseExceptions a Task re-raises (KeyboardInterrupt, SystemExit) get here
        Py_DECREF(task);
        return nullptr;
    }
    Py_DECREF(r);
    return task;
}

PyObject* make_done_callback(std::shared_ptr<DoneTarget> target) {
    auto* self = PyObject_New(DoneCallbackObject, done_callback_type);
    if (!self) return nullptr;
    new (&self->target) std::shared_ptr<DoneTarget>(std::move(target));
    return reinterpret_cast<PyObject*>(self);
}

engine::ThreadReactor* current_reactor() { return t_reactor; }

PyObject* current_engine_loop() { return t_loop; }

void drive_engine_thread(engine::ThreadReactor& reactor, PyObject* thread_main) {
    EngineGil gil;
    t_reactor = &reactor;
    try {
        pyb::handle main(thread_main);
        main(pyb::cast(ReactorHandle{&reactor}));
    } catch (pyb::error_already_set& e) {
        std::fprintf(stderr, "cello: engine thread %u: its event loop failed:\n", reactor.index());
        // Displayed, not PyErr_Print(): that would exit the process for a SystemExit, from here.
        PyErr_Display(e.type().ptr(), e.value().ptr(), e.trace().ptr());
    }
    Py_CLEAR(t_loop);
    Py_CLEAR(t_ready_append);
    t_reactor = nullptr;
}

void define_loop(pyb::module_& m) {
    pyb::class_<ReactorHandle>(m, "Reactor", "An engine thread's reactor, as its asyncio loop drives it (cello._loop; running it is _reactor_run).")
        .def("watch", [](ReactorHandle& h, int fd) { h.reactor->watch(fd); }, pyb::arg("fd"))
        .def("set_loop",
             [](ReactorHandle&, pyb::object loop, pyb::object ready) {
                 Py_CLEAR(t_loop);
                 Py_CLEAR(t_ready_append);
                 if (loop.is_none()) return;
                 if (!ready.is_none()) t_ready_append = pyb::object(ready.attr("append")).release().ptr();
                 t_loop = loop.release().ptr();
             },
             pyb::arg("loop"), pyb::arg("ready") = pyb::none(),
             "The EngineLoop that handlers' Tasks belong to (None when it closes), and its ready queue.")
        .def_property_readonly("index", [](const ReactorHandle& h) { return h.reactor->index(); });
    if (!done_callback_type)
        done_callback_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&done_callback_spec));
    if (PyModule_AddFunctions(m.ptr(), loop_functions) != 0 || !init_ready_handle_type() || !done_callback_type)
        throw pyb::error_already_set();
    m.def(
        "_install_loop_methods",
        [](pyb::type loop_class, pyb::object base_call_soon) {
            if (!t_base_call_soon) t_base_call_soon = base_call_soon.release().ptr();
            if (!debug_name) debug_name = PyUnicode_InternFromString("_debug");
            for (PyMethodDef* def : {&call_soon_def, &get_debug_def}) {
                PyObject* descr = PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(loop_class.ptr()), def);
                if (!descr || PyObject_SetAttrString(loop_class.ptr(), def->ml_name, descr) != 0) {
                    Py_XDECREF(descr);
                    throw pyb::error_already_set();
                }
                Py_DECREF(descr);
            }
        },
        pyb::arg("loop_class"), pyb::arg("base_call_soon"),
        "Gives cello._loop.EngineLoop its native call_soon and get_debug (see py_loop.cpp).");
}

}  // namespace cello::py
