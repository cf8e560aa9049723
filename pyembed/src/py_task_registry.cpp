#include "py_task_registry.hpp"

#include <optional>

namespace cello::py {

namespace {

// The WeakSet's own containers (made once in its __init__ and only ever changed in place), held
// for the process's life: there is one registry.
struct Registry {
    PyObject* registry;    // the WeakSet
    PyObject* data;        // set of weak references
    PyObject* pending;     // _pending_removals: references that died while the set was iterated
    PyObject* iterating;   // _iterating: live iteration guards
    PyObject* on_remove;   // our removal callback
};
std::optional<Registry> g_registry;  // GIL-protected

// WeakSet._remove: a task died; drop its reference, or leave it for after the iteration in progress.
PyObject* on_remove(PyObject*, PyObject* ref) {
    const Registry& r = *g_registry;
    if (PySet_GET_SIZE(r.iterating) > 0) {
        if (PyList_Append(r.pending, ref) != 0) return nullptr;
    } else if (PySet_Discard(r.data, ref) < 0) {
        return nullptr;
    }
    Py_RETURN_NONE;
}

// WeakSet.add, for the registry instance.
PyObject* add(PyObject*, PyObject* item) {
    const Registry& r = *g_registry;
    if (PyList_GET_SIZE(r.pending) > 0) {
        PyObject* done = PyObject_CallMethod(r.registry, "_commit_removals", nullptr);
        if (!done) return nullptr;
        Py_DECREF(done);
    }
    PyObject* ref = PyWeakref_NewRef(item, r.on_remove);
    if (!ref) return nullptr;
    const int failed = PySet_Add(r.data, ref);
    Py_DECREF(ref);
    if (failed) return nullptr;
    Py_RETURN_NONE;
}

PyMethodDef on_remove_def = {"_remove", on_remove, METH_O, "Drops a dead task's reference (WeakSet._remove)."};
PyMethodDef add_def = {"add", add, METH_O, "Registers a task (WeakSet.add)."};

PyObject* attribute_of_type(PyObject* o, const char* name, PyTypeObject* type) {
    PyObject* a = PyObject_GetAttrString(o, name);
    if (a && Py_IS_TYPE(a, type)) return a;
    Py_XDECREF(a);
    PyErr_Clear();
    return nullptr;
}

}  // namespace

bool speed_up_task_registry(PyObject* registry) {
    if (g_registry) return g_registry->registry == registry;
    PyObject* data = attribute_of_type(registry, "data", &PySet_Type);
    PyObject* pending = attribute_of_type(registry, "_pending_removals", &PyList_Type);
    PyObject* iterating = attribute_of_type(registry, "_iterating", &PySet_Type);
    PyObject* remove = PyCFunction_New(&on_remove_def, nullptr);
    PyObject* add_fn = PyCFunction_New(&add_def, nullptr);
    if (!data || !pending || !iterating || !remove || !add_fn) {
        Py_XDECREF(data), Py_XDECREF(pending), Py_XDECREF(iterating), Py_XDECREF(remove), Py_XDECREF(add_fn);
        PyErr_Clear();
        return false;
    }
    g_registry.emplace(Registry{Py_NewRef(registry), data, pending, iterating, remove});  // kept for the process's life
    const bool ok = PyObject_SetAttrString(registry, "add", add_fn) == 0;
    Py_DECREF(add_fn);
    if (!ok) PyErr_Clear();
    return ok;
}

void define_task_registry(pybind11::module_& m) {
    m.def(
        "_speed_up_task_registry",
        [](pybind11::handle registry) { return speed_up_task_registry(registry.ptr()); },
        pybind11::arg("registry"),
        "Gives asyncio's registry of tasks (a weakref.WeakSet) a native add and removal callback; "
        "False if it is not the WeakSet expected (py_task_registry.hpp).");
}

}  // namespace cello::py
