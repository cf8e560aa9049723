#include "py_future.hpp"

namespace cello::py {

namespace {
// Interned once: resolve() runs per WebSocket message, so no attribute name is made per call.
PyObject* name(const char* text) {
    PyObject* s = PyUnicode_InternFromString(text);
    if (!s) throw pyb::error_already_set();
    return s;
}
}  // namespace

FutureSlot::FutureSlot(pyb::object future)
    : future_(future.release().ptr(), [](PyObject* p) {
          if (!Py_IsInitialized()) return;  // the interpreter is gone: nothing to free it with
          pyb::gil_scoped_acquire gil;
          Py_DECREF(p);
      }) {}

bool FutureSlot::resolve(const std::function<pyb::object()>& value) const {
    pyb::gil_scoped_acquire gil;
    static PyObject* const done = name("done");
    static PyObject* const set_result = name("set_result");
    if (!future_) return false;
    // Released here, under this GIL, rather than by the deleter taking it again later.
    const std::shared_ptr<PyObject> keep = std::exchange(future_, nullptr);
    try {
        // Done already: cancelled, its awaiter went away (no value made for nobody).
        const pyb::object is_done = pyb::reinterpret_steal<pyb::object>(PyObject_CallMethodNoArgs(keep.get(), done));
        if (!is_done) throw pyb::error_already_set();
        if (is_done.ptr() == Py_True) return false;
        const pyb::object v = value();
        if (!pyb::reinterpret_steal<pyb::object>(PyObject_CallMethodOneArg(keep.get(), set_result, v.ptr())))
            throw pyb::error_already_set();
        return true;
    } catch (pyb::error_already_set& e) {
        e.discard_as_unraisable("cello: completing a future");
        return false;
    }
}

}  // namespace cello::py
