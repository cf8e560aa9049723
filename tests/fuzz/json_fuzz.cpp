// Fuzzes cello::py::read_json (pyembed/src/json_reader.cpp: simdjson -> Python objects) inside an
// embedded interpreter, against Python's own json.loads.
//
// Checked: every input gives an object or an error text, never both, and never leaves a Python
// exception set; when both read_json and json.loads accept the input, the results are equal
// down to the types, the key order and the float bits; read_json accepts nothing json.loads
// rejects (it may reject more: lone surrogate escapes, nesting deeper than simdjson's 1024);
// every dict and list it returns is referenced only by its parent (a leaked or missing reference
// shows up as a count other than 1).
//
// The interpreter runs with PYTHONMALLOC=malloc semantics (PYMEM_ALLOCATOR_MALLOC) so that ASan
// sees every Python object allocation: a reference dropped once too often becomes a
// heap-use-after-free report instead of silent pymalloc reuse. Leak detection is off: libpython
// is not instrumented and the interpreter is never finalized, so LeakSanitizer would report
// CPython's own long-lived allocations; references leaked by read_json are caught by the
// refcount check instead.
#include "json_reader.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#ifndef CELLO_FUZZ_PYTHON
#define CELLO_FUZZ_PYTHON "/usr/bin/python3"
#endif

extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }

namespace {

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            std::fprintf(stderr, "json_fuzz: check failed at line %d: %s\n", __LINE__, #cond); \
            if (PyErr_Occurred()) PyErr_Print();                                     \
            std::abort();                                                            \
        }                                                                            \
    } while (0)

// Python's verdict and the comparison, run in the embedded interpreter.
constexpr const char* kOracle = R"PY(
import json, math, reprlib

class Invalid(Exception):
    pass

def _reject_constant(name):
    raise ValueError(name)

def python_loads(data):
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise Invalid from None

def same(a, b):
    # Iterative: both parsers accept nesting deeper than Python's recursion limit would allow.
    pending = [(a, b)]
    while pending:
        a, b = pending.pop()
        if type(a) is not type(b):
            return False
        if isinstance(a, dict):
            if list(a) != list(b):
                return False
            pending.extend((a[k], b[k]) for k in a)
        elif isinstance(a, list):
            if len(a) != len(b):
                return False
            pending.extend(zip(a, b))
        elif isinstance(a, float):
            if math.copysign(1.0, a) != math.copysign(1.0, b) or not (a == b or (a != a and b != b)):
                return False
        elif a != b:
            return False
    return True

def check(data, got):
    """None when read_json's result is acceptable, else a description of the mismatch."""
    try:
        want = python_loads(data)
    except Invalid:
        return None if got is Invalid else f"read_json accepted what json.loads rejects: {reprlib.repr(got)}"
    if got is Invalid:
        return None  # stricter than Python (lone surrogates, very deep nesting): allowed
    return None if same(got, want) else f"read_json gave {reprlib.repr(got)}, json.loads {reprlib.repr(want)}"
)PY";

PyObject* g_check = nullptr;
PyObject* g_invalid = nullptr;

// Every dict and list in `o` is referenced once: by its parent (or, at the top, by us).
void check_refcounts(PyObject* o) {
    if (PyDict_CheckExact(o)) {
        CHECK(Py_REFCNT(o) == 1);
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(o, &pos, &k, &v)) {
            CHECK(PyUnicode_CheckExact(k));
            check_refcounts(v);
        }
    } else if (PyList_CheckExact(o)) {
        CHECK(Py_REFCNT(o) == 1);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(o); ++i) check_refcounts(PyList_GET_ITEM(o, i));
    } else {
        CHECK(o == Py_None || PyBool_Check(o) || PyLong_CheckExact(o) || PyFloat_CheckExact(o) ||
              PyUnicode_CheckExact(o));
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    PyPreConfig pre;
    PyPreConfig_InitIsolatedConfig(&pre);
    pre.allocator = PYMEM_ALLOCATOR_MALLOC;
    PyStatus status = Py_PreInitialize(&pre);
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    // The executable's path lets the interpreter find Debian's standard library.
    if (!PyStatus_Exception(status)) status = PyConfig_SetBytesString(&config, &config.executable, CELLO_FUZZ_PYTHON);
    if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) Py_ExitStatusException(status);

    PyObject* globals = PyModule_GetDict(PyImport_AddModule("__main__"));
    PyObject* r = PyRun_String(kOracle, Py_file_input, globals, globals);
    CHECK(r);
    Py_DECREF(r);
    g_check = PyDict_GetItemString(globals, "check");
    g_invalid = PyDict_GetItemString(globals, "Invalid");
    CHECK(g_check && g_invalid);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string error;
    PyObject* got = cello::py::read_json(text, error);
    CHECK(!PyErr_Occurred());
    CHECK((got != nullptr) == error.empty());
    if (got) check_refcounts(got);

    PyObject* bytes = PyBytes_FromStringAndSize(text.data(), static_cast<Py_ssize_t>(text.size()));
    CHECK(bytes);
    PyObject* verdict = PyObject_CallFunctionObjArgs(g_check, bytes, got ? got : g_invalid, nullptr);
    CHECK(verdict);
    if (verdict != Py_None) {
        std::fprintf(stderr, "json_fuzz: %s\n", PyUnicode_AsUTF8(verdict));
        std::abort();
    }
    Py_DECREF(verdict);
    Py_DECREF(bytes);
    Py_XDECREF(got);
    return 0;
}
