#include "py_ready_handle.hpp"

#include <structmember.h>

#include <cstring>

namespace cello::py {

namespace {

struct ReadyHandle {
    PyObject_HEAD
    PyObject* loop;
    PyObject* callback;
    PyObject* arg;  // null: the callback takes no argument
    PyObject* context;
    char cancelled;
};

PyTypeObject* handle_type = nullptr;

// The two callback kinds of CPython's C Task (Modules/_asynciomodule.c): found by name once, then
// compared by identity. Other Tasks (a Python Task subclass) simply take asyncio's own path.
PyTypeObject* step_type = nullptr;          // TaskStepMethWrapper: the Task's next step
PyCFunction wakeup_function = nullptr;      // task_wakeup: an awaited future is done

bool is_step(PyObject* cb) {
    PyTypeObject* t = Py_TYPE(cb);
    if (t == step_type) return true;
    if (step_type || std::strcmp(t->tp_name, "TaskStepMethWrapper") != 0) return false;
    step_type = t;
    return true;
}

bool is_wakeup(PyObject* cb) {
    if (!PyCFunction_Check(cb)) return false;
    const PyCFunction f = PyCFunction_GET_FUNCTION(cb);
    if (f == wakeup_function) return true;
    const auto* method = reinterpret_cast<PyCFunctionObject*>(cb)->m_ml;
    if (wakeup_function || std::strcmp(method->ml_name, "task_wakeup") != 0) return false;
    wakeup_function = f;
    return true;
}

int traverse(PyObject* self, visitproc visit, void* arg) {
    auto* h = reinterpret_cast<ReadyHandle*>(self);
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(h->loop);
    Py_VISIT(h->callback);
    Py_VISIT(h->arg);
    Py_VISIT(h->context);
    return 0;
}

int clear(PyObject* self) {
    auto* h = reinterpret_cast<ReadyHandle*>(self);
    Py_CLEAR(h->loop);
    Py_CLEAR(h->callback);
    Py_CLEAR(h->arg);
    Py_CLEAR(h->context);
    return 0;
}

void dealloc(PyObject* self) {
    PyTypeObject* type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    clear(self);
    type->tp_free(self);
    Py_DECREF(type);
}

// asyncio.Handle._run: the callback in its context; an exception goes to the loop's exception
// handler, except SystemExit and KeyboardInterrupt, which leave run_forever as asyncio's would.
PyObject* run(PyObject* self, PyObject*) {
    auto* h = reinterpret_cast<ReadyHandle*>(self);
    if (h->cancelled) Py_RETURN_NONE;
    if (PyContext_Enter(h->context) != 0) return nullptr;
    PyObject* r = h->arg ? PyObject_CallOneArg(h->callback, h->arg) : PyObject_CallNoArgs(h->callback);
    if (PyContext_Exit(h->context) != 0) Py_CLEAR(r);
    if (r) {
        Py_DECREF(r);
        Py_RETURN_NONE;
    }
    if (PyErr_ExceptionMatches(PyExc_SystemExit) || PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) return nullptr;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb) PyException_SetTraceback(value, tb);
    PyObject* report = PyDict_New();
    PyObject* message = PyUnicode_FromFormat("Exception in callback %R", h->callback);
    PyObject* out = nullptr;
    if (report && message && PyDict_SetItemString(report, "message", message) == 0 &&
        PyDict_SetItemString(report, "exception", value) == 0 && PyDict_SetItemString(report, "handle", self) == 0)
        out = PyObject_CallMethod(h->loop, "call_exception_handler", "O", report);
    Py_XDECREF(message);
    Py_XDECREF(report);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    if (!out) return nullptr;
    Py_DECREF(out);
    Py_RETURN_NONE;
}

PyObject* cancel(PyObject* self, PyObject*) {
    reinterpret_cast<ReadyHandle*>(self)->cancelled = 1;
    Py_RETURN_NONE;
}

PyObject* cancelled(PyObject* self, PyObject*) {
    return PyBool_FromLong(reinterpret_cast<ReadyHandle*>(self)->cancelled);
}

PyObject* get_context(PyObject* self, PyObject*) {
    PyObject* c = reinterpret_cast<ReadyHandle*>(self)->context;
    return Py_NewRef(c);
}

PyObject* repr(PyObject* self) {
    auto* h = reinterpret_cast<ReadyHandle*>(self);
    return PyUnicode_FromFormat(h->cancelled ? "<Handle cancelled %R>" : "<Handle %R>", h->callback);
}

PyMethodDef methods[] = {
    {"_run", run, METH_NOARGS, "Runs the callback (asyncio.Handle._run)."},
    {"cancel", cancel, METH_NOARGS, "The callback will not run."},
    {"cancelled", cancelled, METH_NOARGS, "Whether cancel() was called."},
    {"get_context", get_context, METH_NOARGS, "The context the callback runs in."},
    {nullptr, nullptr, 0, nullptr},
};

PyMemberDef members[] = {
    {"_cancelled", T_BOOL, offsetof(ReadyHandle, cancelled), READONLY, nullptr},
    {"_callback", T_OBJECT, offsetof(ReadyHandle, callback), READONLY, nullptr},
    {"_context", T_OBJECT, offsetof(ReadyHandle, context), READONLY, nullptr},
    {"_loop", T_OBJECT, offsetof(ReadyHandle, loop), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr},
};

PyType_Slot slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(clear)},
    {Py_tp_repr, reinterpret_cast<void*>(repr)},
    {Py_tp_methods, methods},
    {Py_tp_members, members},
    {Py_tp_doc, const_cast<char*>("A Task's step or wake-up in an engine loop's ready queue (py_ready_handle.hpp).")},
    {0, nullptr},
};

PyType_Spec spec = {"cello._cello.ReadyHandle", sizeof(ReadyHandle), 0,
                    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION, slots};

}  // namespace

bool is_task_callback(PyObject* callback, Py_ssize_t nargs) {
    return nargs == 0 ? is_step(callback) : nargs == 1 && is_wakeup(callback);
}

PyObject* make_ready_handle(PyObject* loop, PyObject* callback, PyObject* const* args, Py_ssize_t nargs,
                            PyObject* context) {
    auto* h = PyObject_GC_New(ReadyHandle, handle_type);
    if (!h) return nullptr;  // (PyObject_Init took the reference a heap type's instance holds)
    h->loop = Py_NewRef(loop);
    h->callback = Py_NewRef(callback);
    h->arg = nargs > 0 ? Py_NewRef(args[0]) : nullptr;
    h->context = Py_NewRef(context);
    h->cancelled = 0;
    PyObject_GC_Track(h);
    return reinterpret_cast<PyObject*>(h);
}

bool init_ready_handle_type() {
    if (handle_type) return true;
    handle_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&spec));
    return handle_type != nullptr;
}

}  // namespace cello::py
