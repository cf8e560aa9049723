#include "json_reader.hpp"

#include "py_errors.hpp"

#include <simdjson.h>

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

PyObject* read_with_python(std::string_view text, std::string& error) {
    PyObject* r = nullptr;
    PyObject* json = PyImport_ImportModule("json");
    PyObject* loads = json ? PyObject_GetAttrString(json, "loads") : nullptr;
    PyObject* arg = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), nullptr);
    PyObject* hook = PyCFunction_New(&reject_constant_def, nullptr);
    PyObject* args = arg ? PyTuple_Pack(1, arg) : nullptr;
    PyObject* kwargs = hook ? Py_BuildValue("{s:O}", "parse_constant", hook) : nullptr;
    if (loads && args && kwargs) r = PyObject_Call(loads, args, kwargs);
    Py_XDECREF(kwargs);
    Py_XDECREF(args);
    Py_XDECREF(hook);
    Py_XDECREF(arg);
    Py_XDECREF(loads);
    Py_XDECREF(json);
    if (!r) error = take_error_text("invalid JSON");
    return r;
}

}  // namespace

PyObject* read_json(std::string_view text, std::string& error) {
    thread_local simdjson::dom::parser parser;  // one per engine thread, buffers reused
    simdjson::dom::element root;
    const auto rc = parser.parse(text.data(), text.size(), true).get(root);
    // Numbers simdjson cannot hold (integers beyond 64 bits) get a second opinion from Python.
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
