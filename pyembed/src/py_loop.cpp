#include "py_loop.hpp"

#include "engine_thread_state.hpp"
#include "gil_once.hpp"

#include <pybind11/stl.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <vector>

namespace cello::py {

namespace {

thread_local engine::ThreadReactor* t_reactor = nullptr;
thread_local PyObject* t_loop = nullptr;         // strong: the EngineLoop of this thread
thread_local PyObject** t_first_step = nullptr;  // armed while start_task makes a Task

// The reactor as cello._loop sees it: a handle valid while its thread's drive() runs.
struct ReactorHandle {
    engine::ThreadReactor* reactor;

    int run(std::optional<double> timeout) {
        std::optional<std::chrono::nanoseconds> t;
        if (timeout) t = std::chrono::nanoseconds(static_cast<long long>(*timeout > 0 ? *timeout * 1e9 : 0));
        pyb::gil_scoped_release release;  // engine handlers take it back (EngineGil) as they need it
        return static_cast<int>(reactor->run(t));
    }
};

// EngineLoop.call_soon (installed on the class by _install_call_soon, so that the common case runs
// no Python frame): the first step of a handler's new Task is handed to start_task, which runs it
// at once; anything else tells the reactor the loop has work and goes to the base call_soon.
PyObject* t_base_call_soon = nullptr;  // BaseEventLoop.call_soon (process-wide, set once)

PyObject* loop_call_soon(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    if (t_first_step && nargs >= 1) {
        Py_INCREF(args[0]);
        *t_first_step = args[0];
        t_first_step = nullptr;
        Py_RETURN_NONE;
    }
    if (t_reactor) t_reactor->nudge();
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

PyMethodDef call_soon_def = {"call_soon", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(loop_call_soon)),
                             METH_FASTCALL | METH_KEYWORDS,
                             "Schedules a callback (asyncio's call_soon), telling the engine's reactor."};

PyObject* loop_nudge(PyObject*, PyObject*) {
    if (t_reactor) t_reactor->nudge();
    Py_RETURN_NONE;
}

PyMethodDef loop_functions[] = {
    {"_loop_nudge", loop_nudge, METH_NOARGS, "Tells this engine thread's reactor that its loop has new work."},
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

PyObject* engine_loop() noexcept { return t_loop; }

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
    PyObject* args[] = {coro, t_loop, context, name};  // a name: else asyncio formats "Task-N" each time
    PyObject* task = PyObject_Vectorcall(api.task_type, args, 1, api.kwnames);
    t_first_step = nullptr;
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

void drive_engine_thread(engine::ThreadReactor& reactor, PyObject* thread_main) {
    EngineGil gil;
    t_reactor = &reactor;
    try {
        pyb::handle main(thread_main);
        main(pyb::cast(ReactorHandle{&reactor}));
    } catch (pyb::error_already_set& e) {
        std::fprintf(stderr, "cello: engine thread %u: its event loop failed:\n", reactor.index());
        e.restore();
        PyErr_Print();
    }
    Py_CLEAR(t_loop);
    t_reactor = nullptr;
}

void define_loop(pyb::module_& m) {
    pyb::class_<ReactorHandle>(m, "Reactor", "An engine thread's reactor, as its asyncio loop drives it (cello._loop).")
        .def("run", &ReactorHandle::run, pyb::arg("timeout"),
             "Runs engine handlers until the loop has work, its poller is readable, or `timeout` (seconds; None: "
             "no limit) passed. Returns 0 timeout, 1 nudged, 2 readable, 3 finished.")
        .def("watch", [](ReactorHandle& h, int fd) { h.reactor->watch(fd); }, pyb::arg("fd"))
        .def("set_loop",
             [](ReactorHandle&, pyb::object loop) {
                 Py_CLEAR(t_loop);
                 if (!loop.is_none()) t_loop = loop.release().ptr();
             },
             pyb::arg("loop"), "The EngineLoop that handlers' Tasks belong to (None when it closes).")
        .def_property_readonly("index", [](const ReactorHandle& h) { return h.reactor->index(); });
    if (PyModule_AddFunctions(m.ptr(), loop_functions) != 0) throw pyb::error_already_set();
    m.def(
        "_install_call_soon",
        [](pyb::type loop_class, pyb::object base_call_soon) {
            if (!t_base_call_soon) t_base_call_soon = base_call_soon.release().ptr();
            PyObject* descr = PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(loop_class.ptr()), &call_soon_def);
            if (!descr || PyObject_SetAttrString(loop_class.ptr(), "call_soon", descr) != 0) {
                Py_XDECREF(descr);
                throw pyb::error_already_set();
            }
            Py_DECREF(descr);
        },
        pyb::arg("loop_class"), pyb::arg("base_call_soon"),
        "Gives cello._loop.EngineLoop its native call_soon (see py_loop.cpp).");
}

}  // namespace cello::py
