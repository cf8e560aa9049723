#include "py_errors.hpp"

namespace cello::py {

std::string take_error_text(const std::string& prefix) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    std::string msg = prefix;
    if (value) {
        if (PyObject* s = PyObject_Str(value)) {
            const char* c = PyUnicode_AsUTF8(s);
            if (c && *c) msg += std::string(": ") + c;
            Py_DECREF(s);
        }
    }
    PyErr_Clear();
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return msg;
}

}  // namespace cello::py
