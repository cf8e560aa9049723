#include "py_future.hpp"

namespace cello::py {

FutureSlot::FutureSlot(pyb::object future)
    : future_(future.release().ptr(), [](PyObject* p) {
          if (!Py_IsInitialized()) return;  // the interpreter is gone: nothing to free it with
          pyb::gil_scoped_acquire gil;
          Py_DECREF(p);
      }) {}

bool FutureSlot::resolve(const std::function<pyb::object()>& value) const {
    pyb::gil_scoped_acquire gil;
    pyb::handle f(future_.get());
    try {
        if (f.attr("done")().cast<bool>()) return false;
        f.attr("set_result")(value());
        return true;
    } catch (pyb::error_already_set& e) {
        e.discard_as_unraisable("cello: completing a future");
        return false;
    }
}

}  // namespace cello::py
