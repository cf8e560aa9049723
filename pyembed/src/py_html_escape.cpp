#include "py_html_escape.hpp"

#include <string_view>

namespace cello::py {

namespace {

// What each escaped character becomes (html.escape's table: &, <, >, " and ').
std::string_view replacement(Py_UCS4 c) {
    switch (c) {
        case '&': return "&amp;";
        case '<': return "&lt;";
        case '>': return "&gt;";
        case '"': return "&quot;";
        case '\'': return "&#x27;";
        default: return {};
    }
}

bool special(Py_UCS4 c) { return c == '&' || c == '<' || c == '>' || c == '"' || c == '\''; }

// `text` escaped, keeping its kind (1, 2 or 4 bytes a character); the same object when nothing
// needs escaping (most values), so the common case allocates nothing.
template <class Char>
PyObject* escape_kind(PyObject* text, const Char* chars, Py_ssize_t n) {
    Py_ssize_t extra = 0;
    for (Py_ssize_t i = 0; i < n; ++i)
        if (special(chars[i])) extra += static_cast<Py_ssize_t>(replacement(chars[i]).size()) - 1;
    if (extra == 0) return Py_NewRef(text);
    PyObject* out = PyUnicode_New(n + extra, PyUnicode_MAX_CHAR_VALUE(text));
    if (!out) return nullptr;
    auto* to = static_cast<Char*>(PyUnicode_DATA(out));
    for (Py_ssize_t i = 0; i < n; ++i) {
        if (!special(chars[i])) {
            *to++ = chars[i];
            continue;
        }
        for (char r : replacement(chars[i])) *to++ = static_cast<Char>(r);
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
