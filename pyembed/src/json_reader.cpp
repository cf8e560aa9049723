#include "json_reader.hpp"

#include "py_errors.hpp"

#include <simdjson.h>

#include <cmath>

namespace cello::py {

namespace {

PyObject* convert(simdjson::dom::element e) {
    using simdjson::dom::element_type;
    switch (e.type()) {
        case element_type::OBJECT: {
            PyObject* d = PyDict_New();
            if (!d) return nullptr;
            for (auto field : simdjson::dom::object(e)) {
                PyObject* k = PyUnicode_FromStringAndSize(field.key.data(), static_cast<Py_ssize_t>(field.key.size()));
                PyObject* v = k ? convert(field.value) : nullptr;
                const int rc = v ? PyDict_SetItem(d, k, v) : -1;
                Py_XDECREF(k);
                Py_XDECREF(v);
                if (rc < 0) {
                    Py_DECREF(d);
                    return nullptr;
                }
            }
            return d;
        }
        case element_type::ARRAY: {
            const simdjson::dom::array a(e);
            PyObject* list = PyList_New(0);
            if (!list) return nullptr;
            for (auto item : a) {
                PyObject* v = convert(item);
                if (!v || PyList_Append(list, v) < 0) {
                    Py_XDECREF(v);
                    Py_DECREF(list);
                    return nullptr;
                }
                Py_DECREF(v);
            }
            return list;
        }
        case element_type::STRING: {
            const std::string_view s(e);
            return PyUnicode_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
        }
        case element_type::INT64: return PyLong_FromLongLong(int64_t(e));
        case element_type::UINT64: return PyLong_FromUnsignedLongLong(uint64_t(e));
        case element_type::DOUBLE: return PyFloat_FromDouble(double(e));
        case element_type::BOOL: return PyBool_FromLong(bool(e));
        case element_type::NULL_VALUE: Py_RETURN_NONE;
    }
    Py_RETURN_NONE;
}

// Python's json accepts NaN and Infinity, which are not JSON: reject them like simdjson does.
PyObject* reject_constant(PyObject*, PyObject* name) {
    PyErr_Format(PyExc_ValueError, "%U is not valid JSON", name);
    return nullptr;
}
PyMethodDef reject_constant_def = {"reject_constant", reject_constant, METH_O, nullptr};

// Python's float() turns 1e400 into inf, which JSON cannot express and the writer refuses: a number
// beyond a double is an error here, as simdjson makes it (underflow to 0.0 is an approximation, kept).
PyObject* finite_float(PyObject*, PyObject* text) {
    PyObject* f = PyFloat_FromString(text);
    if (f && !std::isfinite(PyFloat_AS_DOUBLE(f))) {
        Py_DECREF(f);
        PyErr_Format(PyExc_ValueError, "number %.40U%s is out of range (beyond a double)", text,
                     PyUnicode_GET_LENGTH(text) > 40 ? "..." : "");
        return nullptr;
    }
    return f;
}
PyMethodDef finite_float_def = {"finite_float", finite_float, METH_O, nullptr};

// Python's own guard against int() of huge digit strings, which costs O(n^2): more digits than
// sys.get_int_max_str_digits() (4300 by default) is a ValueError. Said in terms a client follows.
PyObject* bounded_int(PyObject*, PyObject* text) {
    PyObject* n = PyLong_FromUnicodeObject(text, 10);
    if (!n && PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyErr_Clear();
        const Py_ssize_t digits = PyUnicode_GET_LENGTH(text) - (PyUnicode_READ_CHAR(text, 0) == '-' ? 1 : 0);
        PyObject* get_limit = PySys_GetObject("get_int_max_str_digits");  // borrowed
        PyObject* limit = get_limit ? PyObject_CallNoArgs(get_limit) : nullptr;
        if (limit) {
            PyErr_Format(PyExc_ValueError, "an integer of %zd digits is longer than allowed (%S digits)", digits, limit);
            Py_DECREF(limit);
        } else {
            PyErr_Format(PyExc_ValueError, "an integer of %zd digits is longer than allowed", digits);
        }
    }
    return n;
}
PyMethodDef bounded_int_def = {"bounded_int", bounded_int, METH_O, nullptr};

// json.loads turns a "\ud800" escape into a lone surrogate, which simdjson rejects and which no str
// can be encoded from later: walk the result (the fallback is rare) and refuse the same way.
bool has_lone_surrogate(PyObject* o) {
    if (PyUnicode_Check(o)) {
        if (PyUnicode_MAX_CHAR_VALUE(o) < 0xD800) return false;
        const int kind = PyUnicode_KIND(o);
        const void* data = PyUnicode_DATA(o);
        for (Py_ssize_t i = 0, n = PyUnicode_GET_LENGTH(o); i < n; ++i) {
            const Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c >= 0xD800 && c <= 0xDFFF) return true;
        }
        return false;
    }
    if (PyList_Check(o)) {
        for (Py_ssize_t i = 0, n = PyList_GET_SIZE(o); i < n; ++i)
            if (has_lone_surrogate(PyList_GET_ITEM(o, i))) return true;
        return false;
    }
    if (PyDict_Check(o)) {
        PyObject *k, *v;
        for (Py_ssize_t pos = 0; PyDict_Next(o, &pos, &k, &v);)
            if (has_lone_surrogate(k) || has_lone_surrogate(v)) return true;
    }
    return false;  // numbers, True/False/None
}

// Integers keep Python's own guard (bounded_int): without it, a body of digits within
// max_body_size could hold the GIL for minutes (1M digits take 8 s).
PyObject* read_with_python(std::string_view text, std::string& error) {
    PyObject* r = nullptr;
    PyObject* json = PyImport_ImportModule("json");
    PyObject* loads = json ? PyObject_GetAttrString(json, "loads") : nullptr;
    PyObject* arg = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), nullptr);
    PyObject* constant_hook = PyCFunction_New(&reject_constant_def, nullptr);
    PyObject* float_hook = PyCFunction_New(&finite_float_def, nullptr);
    PyObject* int_hook = PyCFunction_New(&bounded_int_def, nullptr);
    PyObject* args = arg ? PyTuple_Pack(1, arg) : nullptr;
    PyObject* kwargs = constant_hook && float_hook && int_hook
                           ? Py_BuildValue("{s:O,s:O,s:O}", "parse_constant", constant_hook, "parse_float",
                                           float_hook, "parse_int", int_hook)
                           : nullptr;
    if (loads && args && kwargs) r = PyObject_Call(loads, args, kwargs);
    Py_XDECREF(kwargs);
    Py_XDECREF(args);
    Py_XDECREF(int_hook);
    Py_XDECREF(float_hook);
    Py_XDECREF(constant_hook);
    Py_XDECREF(arg);
    Py_XDECREF(loads);
    Py_XDECREF(json);
    if (!r) {
        error = take_error_text("invalid JSON");
    } else if (has_lone_surrogate(r)) {
        Py_DECREF(r);
        r = nullptr;
        error = "invalid JSON: a string has an unpaired surrogate escape (\\ud800-\\udfff)";
    }
    return r;
}

}  // namespace

PyObject* read_json(std::string_view text, std::string& error) {
    thread_local simdjson::dom::parser parser;  // one per engine thread, buffers reused
    simdjson::dom::element root;
    const auto rc = parser.parse(text.data(), text.size(), true).get(root);
    // Numbers simdjson cannot hold get a second opinion from Python: integers beyond 64 bits are
    // fine there; numbers beyond a double (1e400) are refused by the float hook above.
    if (rc == simdjson::NUMBER_ERROR || rc == simdjson::NUMBER_OUT_OF_RANGE) return read_with_python(text, error);
    if (rc) {
        error = std::string("invalid JSON: ") + simdjson::error_message(rc);
        return nullptr;
    }
    PyObject* r = convert(root);
    if (!r) error = take_error_text("invalid JSON");
    return r;
}

}  // namespace cello::py
