#include "py_html_escape.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#include <string_view>

namespace cello::py {

namespace {

// What each escaped character becomes (html.escape's table: &, <, >, " and ').
constexpr std::string_view replacement(unsigned c) {
    switch (c) {
        case '&': return "&amp;";
        case '<': return "&lt;";
        case '>': return "&gt;";
        case '"': return "&quot;";
        case '\'': return "&#x27;";
        default: return {};
    }
}

// How many characters each ASCII character grows by when escaped (0: kept as it is): the scan that
// decides whether anything needs escaping is one table load and add per character.
constexpr std::array<std::uint8_t, 128> kGrowth = [] {
    std::array<std::uint8_t, 128> t{};
    for (unsigned c : {'&', '<', '>', '"', '\''}) t[c] = static_cast<std::uint8_t>(replacement(c).size() - 1);
    return t;
}();

template <class Char>
constexpr unsigned growth(Char c) {
    return static_cast<std::uint32_t>(c) < 128 ? kGrowth[static_cast<std::uint32_t>(c)] : 0;
}

// `text` escaped, keeping its kind (1, 2 or 4 bytes a character); the same object when nothing
// needs escaping (most values), so the common case allocates nothing.
// Whether a 1-byte-kind string has a character to escape: glibc's strcspn scans 16 bytes at a
// time (CPython keeps the data NUL-terminated; an embedded NUL only restarts the scan past it).
bool needs_escape(const Py_UCS1* chars, Py_ssize_t n) {
    const char* at = reinterpret_cast<const char*>(chars);
    const char* end = at + n;
    while (at < end) {
        at += std::strcspn(at, "&<>\"'");
        if (at < end && *at != '\0') return true;
        ++at;  // an embedded NUL (or the end)
    }
    return false;
}

template <class Char>
PyObject* escape_kind(PyObject* text, const Char* chars, Py_ssize_t n) {
    if constexpr (sizeof(Char) == 1) {
        if (!needs_escape(chars, n)) return Py_NewRef(text);
    }
    Py_ssize_t extra = 0;
    for (Py_ssize_t i = 0; i < n; ++i) extra += growth(chars[i]);
    if (extra == 0) return Py_NewRef(text);
    PyObject* out = PyUnicode_New(n + extra, PyUnicode_MAX_CHAR_VALUE(text));
    if (!out) return nullptr;
    auto* to = static_cast<Char*>(PyUnicode_DATA(out));
    for (Py_ssize_t i = 0; i < n; ++i) {
        if (growth(chars[i]) == 0) {
            *to++ = chars[i];
            continue;
        }
        for (char r : replacement(static_cast<unsigned>(chars[i]))) *to++ = static_cast<Char>(r);
    }
    return out;
}

PyObject* escape(PyObject*, PyObject* value) {
    PyObject* text = PyUnicode_Check(value) ? Py_NewRef(value) : PyObject_Str(value);
    if (!text || PyUnicode_READY(text) < 0) {
        Py_XDECREF(text);
        return nullptr;
    }
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject* out = nullptr;
    switch (PyUnicode_KIND(text)) {
        case PyUnicode_1BYTE_KIND: out = escape_kind(text, PyUnicode_1BYTE_DATA(text), n); break;
        case PyUnicode_2BYTE_KIND: out = escape_kind(text, PyUnicode_2BYTE_DATA(text), n); break;
        default: out = escape_kind(text, PyUnicode_4BYTE_DATA(text), n); break;
    }
    Py_DECREF(text);
    return out;
}

PyMethodDef escape_def = {
    "escape", escape, METH_O,
    "escape(value) -> str: `value` (str() of it if it is not a str) with &, <, >, \" and ' replaced by HTML "
    "character references, as html.escape(value, quote=True) does, in one pass."};

}  // namespace

void define_html_escape(pyb::module_& m) {
    PyObject* fn = PyCFunction_NewEx(&escape_def, nullptr, m.attr("__name__").ptr());
    if (!fn) throw pyb::error_already_set();
    m.add_object("escape", pyb::reinterpret_steal<pyb::object>(fn));
}

}  // namespace cello::py
