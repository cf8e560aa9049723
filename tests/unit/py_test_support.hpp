// Shared by the pyembed tests: owning references and a prelude of Python objects to build values from.
#pragma once

#include <Python.h>

#include <gtest/gtest.h>

#include <charconv>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace cello_test {

struct DecRef {
    void operator()(PyObject* o) const { Py_XDECREF(o); }
};
using Ref = std::unique_ptr<PyObject, DecRef>;

// Objects the tests build their values from, defined once in __main__.
inline constexpr const char* kPrelude = R"PY(
import collections, dataclasses, datetime, decimal, enum, json, sys, uuid

@dataclasses.dataclass
class Point:
    x: int
    y: float
    tags: list

@dataclasses.dataclass
class Line:
    start: Point
    end: Point

class Color(enum.Enum):
    RED = "red"
    GREEN = 2
    POINT = (1, 2)
    BAD = object()

class Level(enum.IntEnum):
    LOW = 1
    HIGH = 10

class WithJson:
    def __json__(self):
        return {"via": "__json__", "n": [1, 2]}

class SelfJson:
    def __json__(self):
        return self

class Plain:
    pass

class MyDict(dict):
    pass

class MyList(list):
    pass

class MyStr(str):
    pass

def nested_lists(n):
    v = []
    for _ in range(n - 1):
        v = [v]
    return v

def nested_dicts(n):
    v = {}
    for _ in range(n - 1):
        v = {"k": v}
    return v

def circular_list():
    a = [1]
    a.append(a)
    return a

def circular_dict():
    d = {}
    d["self"] = d
    return d

def compact(o):
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False)
)PY";

inline PyObject* main_dict() {
    static PyObject* globals = [] {
        PyObject* g = PyModule_GetDict(PyImport_AddModule("__main__"));
        Ref r(PyRun_String(kPrelude, Py_file_input, g, g));
        if (!r) {
            PyErr_Print();
            std::abort();
        }
        return g;
    }();
    return globals;
}

// Evaluates a Python expression in the prelude's namespace.
inline Ref eval(const std::string& expr) {
    Ref r(PyRun_String(expr.c_str(), Py_eval_input, main_dict(), main_dict()));
    if (!r) {
        PyErr_Print();
        ADD_FAILURE() << "Python expression failed: " << expr;
    }
    return r;
}

// Runs statements in the prelude's namespace.
inline void exec(const std::string& code) {
    Ref r(PyRun_String(code.c_str(), Py_file_input, main_dict(), main_dict()));
    if (!r) {
        PyErr_Print();
        ADD_FAILURE() << "Python code failed: " << code;
    }
}

// What json.dumps(compact, ensure_ascii=False) says, as the reference for standard types.
inline std::string dumps(const std::string& expr) {
    const Ref s = eval("compact(" + expr + ")");
    if (!s) return "<dumps failed>";
    return PyUnicode_AsUTF8(s.get());
}

inline bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

inline double parse_double(const std::string& s) {
    double v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    EXPECT_EQ(r.ec, std::errc()) << s;
    EXPECT_EQ(r.ptr, s.data() + s.size()) << s;
    return v;
}

}  // namespace cello_test
