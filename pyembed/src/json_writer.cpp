#include "json_writer.hpp"

#include "engine/json_escape.hpp"

#include <charconv>
#include <cmath>

namespace cello::py {

namespace {

// Types of the fallback conversions, imported on first use (never on the fast path).
struct FallbackTypes {
    PyObject* enum_type = nullptr;
    PyObject* datetime_types = nullptr;  // (datetime, date, time)
    PyObject* uuid_type = nullptr;
    PyObject* decimal_type = nullptr;
    PyObject* dataclass_fields = nullptr;  // dataclasses.fields
    bool loaded = false;

    bool load() {
        if (loaded) return true;
        auto attr = [](const char* module, const char* name) -> PyObject* {
            PyObject* m = PyImport_ImportModule(module);
            if (!m) return nullptr;
            PyObject* a = PyObject_GetAttrString(m, name);
            Py_DECREF(m);
            return a;
        };
        enum_type = attr("enum", "Enum");
        PyObject* dt = attr("datetime", "datetime");
        PyObject* d = attr("datetime", "date");
        PyObject* t = attr("datetime", "time");
        uuid_type = attr("uuid", "UUID");
        decimal_type = attr("decimal", "Decimal");
        dataclass_fields = attr("dataclasses", "fields");
        if (!enum_type || !dt || !d || !t || !uuid_type || !decimal_type || !dataclass_fields) {
            Py_XDECREF(dt);
            Py_XDECREF(d);
            Py_XDECREF(t);
            return false;
        }
        datetime_types = PyTuple_Pack(3, dt, d, t);
        Py_DECREF(dt);
        Py_DECREF(d);
        Py_DECREF(t);
        loaded = datetime_types != nullptr;
        return loaded;  // kept for the life of the process, like any imported module
    }
};

FallbackTypes g_fallback;

class Writer {
public:
    Writer(std::string& out, std::string& error) : out_(out), error_(error) {}

    bool value(PyObject* o, int depth) {
        if (depth > kMaxJsonDepth) return fail("nesting deeper than " + std::to_string(kMaxJsonDepth) +
                                               " levels (circular reference?)");
        // Exact types first: the common case costs one pointer compare each.
        if (PyUnicode_CheckExact(o)) return string(o);
        if (PyLong_CheckExact(o)) return integer(o);
        if (PyDict_CheckExact(o)) return dict(o, depth);
        if (PyList_CheckExact(o) || PyTuple_CheckExact(o)) return sequence(o, depth);
        if (o == Py_True) return raw("true");
        if (o == Py_False) return raw("false");
        if (o == Py_None) return raw("null");
        if (PyFloat_CheckExact(o)) return number(PyFloat_AS_DOUBLE(o));
        return fallback(o, depth);
    }

private:
    bool raw(std::string_view s) {
        out_ += s;
        return true;
    }

    bool fail(std::string message) {
        error_ = std::move(message);
        return false;
    }

    bool python_failed(const char* what) {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        std::string msg = what;
        if (value) {
            if (PyObject* s = PyObject_Str(value)) {
                if (const char* c = PyUnicode_AsUTF8(s)) msg += std::string(": ") + c;
                Py_DECREF(s);
            }
        }
        PyErr_Clear();
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return fail(msg);
    }

    static std::string type_name(PyObject* o) { return Py_TYPE(o)->tp_name; }

    bool string(PyObject* o) {
        Py_ssize_t n = 0;
        const char* s = PyUnicode_AsUTF8AndSize(o, &n);
        if (!s) return python_failed("string is not encodable as UTF-8");
        engine::append_json_string(out_, {s, static_cast<std::size_t>(n)});
        return true;
    }

    bool integer(PyObject* o) {
        int overflow = 0;
        const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (!overflow) {
            if (v == -1 && PyErr_Occurred()) return python_failed("bad int");
            char buf[24];
            const auto r = std::to_chars(buf, buf + sizeof buf, v);
            out_.append(buf, r.ptr);
            return true;
        }
        PyObject* s = PyLong_Type.tp_repr(o);  // any size; int subclasses print as plain ints
        if (!s) return python_failed("bad int");
        Py_ssize_t n = 0;
        const char* c = PyUnicode_AsUTF8AndSize(s, &n);
        if (c) out_.append(c, static_cast<std::size_t>(n));
        Py_DECREF(s);
        return c ? true : python_failed("bad int");
    }

    bool number(double v) {
        if (!std::isfinite(v)) return fail("float value " + std::string(std::isnan(v) ? "NaN" : "inf") +
                                           " is not JSON compliant");
        char buf[32];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
        const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
        out_ += text;
        if (text.find_first_of(".e") == std::string_view::npos) out_ += ".0";  // stay a float when read back
        return true;
    }

    bool key(PyObject* k) {
        if (PyUnicode_Check(k)) return string(k);
        // Like json.dumps: bool, None, int and float keys become strings.
        if (k == Py_True) return raw("\"true\"");
        if (k == Py_False) return raw("\"false\"");
        if (k == Py_None) return raw("\"null\"");
        out_ += '"';
        bool ok;
        if (PyLong_Check(k)) ok = integer(k);
        else if (PyFloat_Check(k)) ok = number(PyFloat_AS_DOUBLE(k));
        else return fail("dict keys must be str, int, float, bool or None, not " + type_name(k));
        out_ += '"';
        return ok;
    }

    bool dict(PyObject* o, int depth) {
        out_ += '{';
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        bool first = true;
        while (PyDict_Next(o, &pos, &k, &v)) {
            if (!first) out_ += ',';
            first = false;
            if (!key(k)) return false;
            out_ += ':';
            // PyDict_Next borrows; hold the value in case a fallback runs Python code.
            Py_INCREF(v);
            const bool ok = value(v, depth + 1);
            Py_DECREF(v);
            if (!ok) return false;
        }
        out_ += '}';
        return true;
    }

    bool sequence(PyObject* o, int depth) {
        PyObject* fast = PySequence_Fast(o, "expected a sequence");
        if (!fast) return python_failed("bad sequence");
        out_ += '[';
        const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
        bool ok = true;
        for (Py_ssize_t i = 0; i < n && ok; ++i) {
            if (i) out_ += ',';
            ok = value(PySequence_Fast_GET_ITEM(fast, i), depth + 1);
        }
        Py_DECREF(fast);
        if (ok) out_ += ']';
        return ok;
    }

    // Writes the result of calling `method` on `o` (a str), e.g. isoformat or __str__.
    bool via_call(PyObject* o, const char* method, int depth) {
        PyObject* r = method ? PyObject_CallMethod(o, method, nullptr) : PyObject_Str(o);
        if (!r) return python_failed((type_name(o) + (method ? std::string(".") + method + "() failed" : " str() failed")).c_str());
        const bool ok = value(r, depth + 1);
        Py_DECREF(r);
        return ok;
    }

    bool fallback(PyObject* o, int depth) {
        if (!g_fallback.load()) return python_failed("cannot import the JSON fallback types");
        int is = PyObject_IsInstance(o, g_fallback.enum_type);
        if (is > 0) {
            PyObject* v = PyObject_GetAttrString(o, "value");
            if (!v) return python_failed("enum without value");
            const bool ok = value(v, depth + 1);
            Py_DECREF(v);
            return ok;
        }
        if (PyBool_Check(o)) return raw(o == Py_True ? "true" : "false");
        if (PyDict_Check(o)) return dict(o, depth);
        if (PyList_Check(o) || PyTuple_Check(o)) return sequence(o, depth);
        if (PyUnicode_Check(o)) return string(o);
        if (PyLong_Check(o)) return integer(o);
        if (PyFloat_Check(o)) return number(PyFloat_AsDouble(o));
        if (PyObject_IsInstance(o, g_fallback.datetime_types) > 0) return via_call(o, "isoformat", depth);
        if (PyObject_IsInstance(o, g_fallback.uuid_type) > 0) return via_call(o, nullptr, depth);
        if (PyObject_IsInstance(o, g_fallback.decimal_type) > 0) return decimal(o);
        if (PyObject_HasAttrString(reinterpret_cast<PyObject*>(Py_TYPE(o)), "__dataclass_fields__"))
            return dataclass(o, depth);
        if (PyObject_HasAttrString(o, "__json__")) return via_call(o, "__json__", depth);
        PyErr_Clear();
        return fail("Object of type " + type_name(o) + " is not JSON serializable");
    }

    bool decimal(PyObject* o) {
        PyObject* finite = PyObject_CallMethod(o, "is_finite", nullptr);
        if (!finite) return python_failed("bad Decimal");
        const bool ok = finite == Py_True;
        Py_DECREF(finite);
        if (!ok) return fail("Decimal value " + repr(o) + " is not JSON compliant");
        PyObject* s = PyObject_Str(o);  // exact digits, written as a JSON number
        if (!s) return python_failed("bad Decimal");
        Py_ssize_t n = 0;
        const char* c = PyUnicode_AsUTF8AndSize(s, &n);
        if (c) out_.append(c, static_cast<std::size_t>(n));
        Py_DECREF(s);
        return c != nullptr;
    }

    static std::string repr(PyObject* o) {
        std::string out = "?";
        if (PyObject* r = PyObject_Repr(o)) {
            if (const char* c = PyUnicode_AsUTF8(r)) out = c;
            Py_DECREF(r);
        }
        PyErr_Clear();
        return out;
    }

    bool dataclass(PyObject* o, int depth) {
        PyObject* fields = PyObject_CallOneArg(g_fallback.dataclass_fields, o);
        if (!fields) return python_failed("dataclasses.fields() failed");
        out_ += '{';
        bool ok = true;
        const Py_ssize_t n = PyTuple_GET_SIZE(fields);
        for (Py_ssize_t i = 0; i < n && ok; ++i) {
            PyObject* name = PyObject_GetAttrString(PyTuple_GET_ITEM(fields, i), "name");
            PyObject* v = name ? PyObject_GetAttr(o, name) : nullptr;
            if (!v) ok = python_failed("dataclass field");
            else {
                if (i) out_ += ',';
                ok = string(name) && (out_ += ':', value(v, depth + 1));
            }
            Py_XDECREF(name);
            Py_XDECREF(v);
        }
        Py_DECREF(fields);
        if (ok) out_ += '}';
        return ok;
    }

    std::string& out_;
    std::string& error_;
};

}  // namespace

bool write_json(PyObject* obj, std::string& out, std::string& error) {
    return Writer(out, error).value(obj, 0);
}

}  // namespace cello::py
