#include "json_writer.hpp"
#include "py_db_row.hpp"

#include "engine/json_escape.hpp"
#include "py_errors.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <charconv>
#include <cstring>
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

// Writes into `out` through a cursor: `out` is grown ahead (geometrically) and trimmed by finish(),
// so each token is a pointer compare and a store, not a std::string append call.
class Writer {
public:
    Writer(std::string& out, std::string& error) : out_(out), error_(error) {
        const std::size_t used = out_.size();
        out_.resize(std::max(out_.capacity(), used + 512));
        cur_ = out_.data() + used;
        end_ = out_.data() + out_.size();
    }

    void finish() { out_.resize(static_cast<std::size_t>(cur_ - out_.data())); }

    bool value(PyObject* o, int depth) {
        if (depth >= kMaxJsonDepth) return fail("nesting deeper than " + std::to_string(kMaxJsonDepth) +
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
    char* room(std::size_t n) {
        if (static_cast<std::size_t>(end_ - cur_) < n) [[unlikely]] grow(n);
        return cur_;
    }
    [[gnu::noinline]] void grow(std::size_t n) {
        const std::size_t used = static_cast<std::size_t>(cur_ - out_.data());
        out_.resize(std::max(out_.size() * 2, used + n + 256));
        cur_ = out_.data() + used;
        end_ = out_.data() + out_.size();
    }
    void advance_to(char* end) { cur_ = end; }
    void put(char c) { *room(1) = c, ++cur_; }
    void put(std::string_view s) {
        std::memcpy(room(s.size()), s.data(), s.size());
        cur_ += s.size();
    }
    bool raw(std::string_view s) {
        put(s);
        return true;
    }
    void put_string(std::string_view s) {
        advance_to(engine::write_json_string(room(engine::json_string_max_size(s.size())), s));
    }

    bool fail(std::string message) {
        error_ = std::move(message);
        return false;
    }

    bool python_failed(const char* what) { return fail(take_error_text(what)); }

    static std::string type_name(PyObject* o) { return Py_TYPE(o)->tp_name; }

    bool string(PyObject* o) {
        if (PyUnicode_IS_COMPACT_ASCII(o)) {  // the common case: bytes are stored inline, no conversion
            put_string({static_cast<const char*>(PyUnicode_DATA(o)), static_cast<std::size_t>(PyUnicode_GET_LENGTH(o))});
            return true;
        }
        Py_ssize_t n = 0;
        const char* s = PyUnicode_AsUTF8AndSize(o, &n);
        if (!s) return python_failed("string is not encodable as UTF-8");
        put_string({s, static_cast<std::size_t>(n)});
        return true;
    }

    bool integer(PyObject* o) {
        int overflow = 0;
        const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (!overflow) {
            if (v == -1 && PyErr_Occurred()) return python_failed("bad int");
            char* p = room(24);
            advance_to(std::to_chars(p, p + 24, v).ptr);
            return true;
        }
        PyObject* s = PyLong_Type.tp_repr(o);  // any size; int subclasses print as plain ints
        if (!s) return python_failed("bad int");
        Py_ssize_t n = 0;
        const char* c = PyUnicode_AsUTF8AndSize(s, &n);
        if (c) put({c, static_cast<std::size_t>(n)});
        Py_DECREF(s);
        return c ? true : python_failed("bad int");
    }

    bool number(double v) {
        if (!std::isfinite(v)) return fail("float value " + std::string(std::isnan(v) ? "NaN" : "inf") +
                                           " is not JSON compliant");
        char* p = room(34);
        if (char* short_end = short_decimal(p, v)) {
            advance_to(short_end);
            return true;
        }
        char* end = std::to_chars(p, p + 32, v).ptr;  // shortest round-trip form
        if (std::string_view(p, static_cast<std::size_t>(end - p)).find_first_of(".e") == std::string_view::npos) {
            *end++ = '.';  // stay a float when read back
            *end++ = '0';
        }
        advance_to(end);
        return true;
    }

    // Floats that are short decimals (0.25, 19.99, 3.0) are written from an integer and a scale,
    // several times faster than the general shortest-form algorithm. Exact: m / 10^k == v in
    // correctly rounded arithmetic means the text "m e-k" reads back as v. nullptr: not short.
    static char* short_decimal(char* p, double v) {
        static constexpr double kPow10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
        constexpr double kExactLimit = 9007199254740992.0;  // 2^53
        if (v == 0) return nullptr;  // keep -0.0 on the general path
        const double mag = std::fabs(v);
        if (mag >= 1e15 || mag < 1e-4) return nullptr;
        for (int k = 0; k < 7; ++k) {
            const double scaled = v * kPow10[k];
            if (std::fabs(scaled) >= kExactLimit) return nullptr;
            if (scaled != std::trunc(scaled) || scaled / kPow10[k] != v) continue;
            char digits[24];
            long long m = static_cast<long long>(scaled);
            while (k > 0 && m % 10 == 0) m /= 10, --k;  // 19.99 may first fit at k=3 as 19990
            char* d_end = std::to_chars(digits, digits + sizeof digits, m < 0 ? -m : m).ptr;
            int n = static_cast<int>(d_end - digits);
            if (m < 0) *p++ = '-';
            if (k == 0) {
                std::memcpy(p, digits, static_cast<std::size_t>(n));
                p += n;
                *p++ = '.';
                *p++ = '0';
                return p;
            }
            if (n <= k) {  // 0.0025: leading zeros after the point
                *p++ = '0';
                *p++ = '.';
                for (int z = 0; z < k - n; ++z) *p++ = '0';
                std::memcpy(p, digits, static_cast<std::size_t>(n));
                return p + n;
            }
            std::memcpy(p, digits, static_cast<std::size_t>(n - k));
            p += n - k;
            *p++ = '.';
            std::memcpy(p, digits + (n - k), static_cast<std::size_t>(k));
            return p + k;
        }
        return nullptr;
    }

    bool key(PyObject* k) {
        if (PyUnicode_Check(k)) return string(k);
        // Like json.dumps: bool, None, int and float keys become strings.
        if (k == Py_True) return raw("\"true\"");
        if (k == Py_False) return raw("\"false\"");
        if (k == Py_None) return raw("\"null\"");
        put('"');
        bool ok;
        if (PyLong_Check(k)) ok = integer(k);
        else if (PyFloat_Check(k)) ok = number(PyFloat_AS_DOUBLE(k));
        else return fail("dict keys must be str, int, float, bool or None, not " + type_name(k));
        put('"');
        return ok;
    }

    bool dict(PyObject* o, int depth) {
        put('{');
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        bool first = true;
        while (PyDict_Next(o, &pos, &k, &v)) {
            if (!first) put(',');
            first = false;
            if (!key(k)) return false;
            put(':');
            // PyDict_Next borrows; hold the value in case a fallback runs Python code.
            Py_INCREF(v);
            const bool ok = value(v, depth + 1);
            Py_DECREF(v);
            if (!ok) return false;
        }
        put('}');
        return true;
    }

    bool sequence(PyObject* o, int depth) {
        PyObject* fast = PySequence_Fast(o, "expected a sequence");
        if (!fast) return python_failed("bad sequence");
        put('[');
        const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
        bool ok = true;
        for (Py_ssize_t i = 0; i < n && ok; ++i) {
            if (i) put(',');
            ok = value(PySequence_Fast_GET_ITEM(fast, i), depth + 1);
        }
        Py_DECREF(fast);
        if (ok) put(']');
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

    // A cello.db.Row: {column: value, ...} from its values and column index, in column order.
    bool row(PyObject* values, PyObject* index, int depth) {
        put('{');
        Py_ssize_t pos = 0;
        PyObject *k, *i;
        bool first = true;
        while (PyDict_Next(index, &pos, &k, &i)) {
            const Py_ssize_t at = PyLong_AsSsize_t(i);
            if (at < 0 || at >= PyTuple_GET_SIZE(values)) {
                PyErr_Clear();
                return fail("a database row whose column index is out of range");
            }
            if (!first) put(',');
            first = false;
            if (!key(k)) return false;
            put(':');
            if (!value(PyTuple_GET_ITEM(values, at), depth + 1)) return false;
        }
        put('}');
        return true;
    }

    // The uncommon types, kept out of value() so that its exact-type checks stay compact.
    [[gnu::noinline]] bool fallback(PyObject* o, int depth) {
        if (PyObject *values, *index; row_parts(o, &values, &index)) return row(values, index, depth);
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
        if (c) put({c, static_cast<std::size_t>(n)});
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
        put('{');
        bool ok = true;
        const Py_ssize_t n = PyTuple_GET_SIZE(fields);
        for (Py_ssize_t i = 0; i < n && ok; ++i) {
            PyObject* name = PyObject_GetAttrString(PyTuple_GET_ITEM(fields, i), "name");
            PyObject* v = name ? PyObject_GetAttr(o, name) : nullptr;
            if (!v) ok = python_failed("dataclass field");
            else {
                if (i) put(',');
                ok = string(name) && (put(':'), value(v, depth + 1));
            }
            Py_XDECREF(name);
            Py_XDECREF(v);
        }
        Py_DECREF(fields);
        if (ok) put('}');
        return ok;
    }

    std::string& out_;
    char* cur_;  // next byte to write in out_
    char* end_;  // end of out_'s writable area
    std::string& error_;
};

}  // namespace

bool write_json(PyObject* obj, std::string& out, std::string& error) {
    Writer w(out, error);
    const bool ok = w.value(obj, 0);
    w.finish();
    return ok;
}

}  // namespace cello::py
