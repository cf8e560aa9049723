#include "py_request_trace.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string_view>
#include <utility>

namespace cello::py {

namespace {

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The Python object: a plain CPython type (pybind11's instance bookkeeping costs more than the
// request it would trace). The engine's trace is made at the first record.
struct TraceObject {
    PyObject_HEAD
    engine::TraceLevel level;
    bool closed;  // handed to the response: records after that are dropped
    std::int64_t started_ns;
    std::unique_ptr<engine::RequestTrace> trace;
};

PyTypeObject* g_trace_type = nullptr;
PyObject* g_trace_var = nullptr;  // the context variable (the module keeps it alive)

engine::RequestTrace* target(TraceObject* self) {
    if (self->closed) return nullptr;
    if (!self->trace) self->trace = std::make_unique<engine::RequestTrace>(self->level);
    return self->trace.get();
}

bool text_of(PyObject* o, std::string_view& out) {
    Py_ssize_t n = 0;
    const char* c = PyUnicode_AsUTF8AndSize(o, &n);
    if (!c) return false;
    out = {c, static_cast<std::size_t>(n)};
    return true;
}

// query(sql, duration_ns, rows, error=None): a statement that ended now.
PyObject* trace_query(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs < 3 || nargs > 4) {
        PyErr_SetString(PyExc_TypeError, "query(sql, duration_ns, rows, error=None)");
        return nullptr;
    }
    std::string_view sql, error;
    if (!text_of(args[0], sql)) return nullptr;
    const long long duration = PyLong_AsLongLong(args[1]);
    const long long rows = PyLong_AsLongLong(args[2]);
    if (PyErr_Occurred()) return nullptr;
    if (nargs == 4 && args[3] != Py_None && !text_of(args[3], error)) return nullptr;
    auto* t = reinterpret_cast<TraceObject*>(self);
    if (engine::RequestTrace* trace = target(t)) {
        const std::int64_t start = steady_ns() - t->started_ns - duration;
        trace->add_query(sql, start < 0 ? 0 : start, duration, rows, error);
    }
    Py_RETURN_NONE;
}

// log(level, logger, message)
PyObject* trace_log(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "log(level, logger, message)");
        return nullptr;
    }
    std::string_view logger, message;
    const long level = PyLong_AsLong(args[0]);
    if ((level == -1 && PyErr_Occurred()) || !text_of(args[1], logger) || !text_of(args[2], message)) return nullptr;
    auto* t = reinterpret_cast<TraceObject*>(self);
    if (engine::RequestTrace* trace = target(t))
        trace->add_log(steady_ns() - t->started_ns, static_cast<int>(level), logger, message);
    Py_RETURN_NONE;
}

PyObject* trace_records(PyObject* self, void*) {
    return PyBool_FromLong(reinterpret_cast<TraceObject*>(self)->level == engine::TraceLevel::Records);
}

void trace_dealloc(PyObject* self) {
    PyTypeObject* type = Py_TYPE(self);
    std::destroy_at(&reinterpret_cast<TraceObject*>(self)->trace);
    type->tp_free(self);
    Py_DECREF(type);  // a heap type's instance holds a reference to it
}

PyMethodDef trace_methods[] = {
    {"query", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(trace_query)), METH_FASTCALL,
     "query(sql, duration_ns, rows, error=None): one statement that ended now (its text, never its parameters)."},
    {"log", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(trace_log)), METH_FASTCALL,
     "log(level, logger, message): one log line."},
    {nullptr, nullptr, 0, nullptr},
};

PyGetSetDef trace_getset[] = {
    {"records", trace_records, nullptr, "Whether texts are kept (detail capture), not only counts.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyType_Slot trace_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(trace_dealloc)},
    {Py_tp_methods, trace_methods},
    {Py_tp_getset, trace_getset},
    {Py_tp_doc, const_cast<char*>("What the running request did besides answering, for the inspector.")},
    {0, nullptr},
};

PyType_Spec trace_spec = {"cello._cello.RequestTrace", sizeof(TraceObject), 0,
                          Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, trace_slots};

PyObject* new_trace(engine::TraceLevel level) {
    auto* self = PyObject_New(TraceObject, g_trace_type);
    if (!self) return nullptr;
    self->level = level;
    self->closed = false;
    self->started_ns = steady_ns();
    std::construct_at(&self->trace);
    return reinterpret_cast<PyObject*>(self);
}

// The sync handler running on this thread, if any.
struct SyncSlot {
    engine::TraceLevel level = engine::TraceLevel::Off;
    std::int64_t started_ns = 0;
    PyObject* trace = nullptr;  // strong; made at the first current_trace()
};
thread_local SyncSlot t_sync;

// _cello.current_trace(): the running request's trace, or None.
PyObject* current_trace(PyObject*, PyObject*) {
    if (t_sync.level != engine::TraceLevel::Off) {
        if (!t_sync.trace) {
            t_sync.trace = new_trace(t_sync.level);
            if (!t_sync.trace) return nullptr;
            reinterpret_cast<TraceObject*>(t_sync.trace)->started_ns = t_sync.started_ns;
        }
        return Py_NewRef(t_sync.trace);
    }
    PyObject* value = nullptr;
    if (PyContextVar_Get(g_trace_var, Py_None, &value) < 0) return nullptr;
    return value;
}

PyMethodDef trace_functions[] = {
    {"current_trace", current_trace, METH_NOARGS,
     "The running request's trace while an inspector is attached (None otherwise)."},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

void define_request_trace(pyb::module_& m) {
    if (!g_trace_type) g_trace_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&trace_spec));
    if (!g_trace_type || PyModule_AddFunctions(m.ptr(), trace_functions) != 0) throw pyb::error_already_set();
    m.attr("RequestTrace") = pyb::reinterpret_borrow<pyb::object>(reinterpret_cast<PyObject*>(g_trace_type));
    g_trace_var = PyContextVar_New("cello_request_trace", Py_None);
    if (!g_trace_var) throw pyb::error_already_set();
    m.attr("request_trace") = pyb::reinterpret_steal<pyb::object>(g_trace_var);
}

std::atomic<bool> g_database_opened{false};

void note_database_opened() noexcept { g_database_opened.store(true, std::memory_order_relaxed); }

engine::TraceLevel trace_level(const engine::Request& req) noexcept {
    if (req.trace == engine::TraceLevel::Counts && !g_database_opened.load(std::memory_order_relaxed))
        return engine::TraceLevel::Off;
    return req.trace;
}

// (Thread-locals of a shared library cost a call each: the slot is touched only when tracing.)
SyncTraceScope::SyncTraceScope(engine::TraceLevel level) noexcept : on_(level != engine::TraceLevel::Off) {
    if (!on_) return;
    t_sync.level = level;
    t_sync.started_ns = steady_ns();
}

SyncTraceScope::~SyncTraceScope() {
    if (!on_) return;
    t_sync.level = engine::TraceLevel::Off;
    Py_CLEAR(t_sync.trace);
}

pyb::object SyncTraceScope::close() noexcept {
    if (!on_) return {};
    on_ = false;
    t_sync.level = engine::TraceLevel::Off;
    return pyb::reinterpret_steal<pyb::object>(std::exchange(t_sync.trace, nullptr));
}

pyb::object begin_async_trace(engine::TraceLevel level) {
    if (level == engine::TraceLevel::Off || !g_trace_var) return {};
    pyb::object trace = pyb::reinterpret_steal<pyb::object>(new_trace(level));
    if (!trace) {
        PyErr_Clear();
        return {};
    }
    PyObject* token = PyContextVar_Set(g_trace_var, trace.ptr());
    if (!token) {  // the request is served all the same, untraced
        PyErr_Clear();
        return {};
    }
    Py_DECREF(token);
    return trace;
}

void end_trace(pyb::object& trace, engine::Response& res) {
    if (!trace) return;
    auto* t = reinterpret_cast<TraceObject*>(trace.ptr());
    t->closed = true;
    res.trace = std::move(t->trace);
    trace = pyb::object();
}

}  // namespace cello::py
