#include "py_db_row.hpp"

#include <structmember.h>

namespace cello::py {

namespace {

// The rows of one result share its index (made once per result shape by cello.db._shape).
struct RowObject {
    PyObject_HEAD
    PyObject* values;  // tuple
    PyObject* index;   // dict: column name -> position in values
};

PyTypeObject* g_row_type = nullptr;

RowObject* as_row(PyObject* o) { return reinterpret_cast<RowObject*>(o); }

// Steals neither reference.
PyObject* make_row(PyObject* values, PyObject* index) {
    auto* r = PyObject_GC_New(RowObject, g_row_type);  // (takes the reference a heap type's instance holds)
    if (!r) return nullptr;
    r->values = Py_NewRef(values);
    r->index = Py_NewRef(index);
    PyObject_GC_Track(r);
    return reinterpret_cast<PyObject*>(r);
}

PyObject* row_new(PyTypeObject*, PyObject* args, PyObject* kwds) {
    static const char* names[] = {"values", "index", nullptr};
    PyObject *values = nullptr, *index = nullptr;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!:Row", const_cast<char**>(names), &values, &PyDict_Type, &index))
        return nullptr;
    PyObject* tuple = PySequence_Tuple(values);
    if (!tuple) return nullptr;
    PyObject* row = make_row(tuple, index);
    Py_DECREF(tuple);
    return row;
}

int traverse(PyObject* self, visitproc visit, void* arg) {
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(as_row(self)->values);
    Py_VISIT(as_row(self)->index);
    return 0;
}

int clear(PyObject* self) {
    Py_CLEAR(as_row(self)->values);
    Py_CLEAR(as_row(self)->index);
    return 0;
}

void dealloc(PyObject* self) {
    PyTypeObject* type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    clear(self);
    type->tp_free(self);
    Py_DECREF(type);
}

Py_ssize_t length(PyObject* self) { return PyTuple_GET_SIZE(as_row(self)->values); }

PyObject* item(PyObject* self, Py_ssize_t i) {  // (negative i already adjusted by the caller)
    PyObject* values = as_row(self)->values;
    if (i < 0 || i >= PyTuple_GET_SIZE(values)) {
        PyErr_SetString(PyExc_IndexError, "row index out of range");
        return nullptr;
    }
    return Py_NewRef(PyTuple_GET_ITEM(values, i));
}

PyObject* no_column(PyObject* self, PyObject* key) {
    PyObject* sep = PyUnicode_FromString(", ");
    PyObject* names = sep ? PyUnicode_Join(sep, as_row(self)->index) : nullptr;
    PyObject* message = names ? PyUnicode_FromFormat("no column %R (columns: %U)", key, names) : nullptr;
    if (message) PyErr_SetObject(PyExc_KeyError, message);
    Py_XDECREF(message);
    Py_XDECREF(names);
    Py_XDECREF(sep);
    return nullptr;
}

// row["name"] by column; anything else (int, slice) as the tuple answers it.
PyObject* subscript(PyObject* self, PyObject* key) {
    RowObject* r = as_row(self);
    if (PyUnicode_Check(key)) {
        PyObject* at = PyDict_GetItemWithError(r->index, key);
        if (!at) return PyErr_Occurred() ? nullptr : no_column(self, key);
        const Py_ssize_t i = PyLong_AsSsize_t(at);
        if (i == -1 && PyErr_Occurred()) return nullptr;
        return item(self, i);
    }
    return PyObject_GetItem(r->values, key);
}

int contains(PyObject* self, PyObject* value) { return PySequence_Contains(as_row(self)->values, value); }

PyObject* iter(PyObject* self) { return PyObject_GetIter(as_row(self)->values); }

PyObject* as_dict(PyObject* self, PyObject* = nullptr) {
    RowObject* r = as_row(self);
    PyObject* d = PyDict_New();
    Py_ssize_t pos = 0;
    PyObject *name, *at;
    while (d && PyDict_Next(r->index, &pos, &name, &at)) {
        PyObject* v = item(self, PyLong_AsSsize_t(at));
        if (!v || PyDict_SetItem(d, name, v) != 0) Py_CLEAR(d);
        Py_XDECREF(v);
    }
    return d;
}

PyObject* keys(PyObject* self, PyObject*) { return PyDict_Keys(as_row(self)->index); }

PyObject* values(PyObject* self, PyObject*) { return Py_NewRef(as_row(self)->values); }

PyObject* items(PyObject* self, PyObject*) {
    RowObject* r = as_row(self);
    PyObject* out = PyList_New(0);
    Py_ssize_t pos = 0;
    PyObject *name, *at;
    while (out && PyDict_Next(r->index, &pos, &name, &at)) {
        PyObject* v = item(self, PyLong_AsSsize_t(at));
        PyObject* pair = v ? PyTuple_Pack(2, name, v) : nullptr;
        if (!pair || PyList_Append(out, pair) != 0) Py_CLEAR(out);
        Py_XDECREF(pair);
        Py_XDECREF(v);
    }
    return out;
}

PyObject* get(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "get(column, default=None)");
        return nullptr;
    }
    PyObject* at = PyDict_GetItemWithError(as_row(self)->index, args[0]);
    if (!at) return PyErr_Occurred() ? nullptr : Py_NewRef(nargs > 1 ? args[1] : Py_None);
    return item(self, PyLong_AsSsize_t(at));
}

// index() and count(), as the values tuple answers them.
PyObject* tuple_method(PyObject* self, const char* name, PyObject* const* args, Py_ssize_t nargs) {
    PyObject* method = PyObject_GetAttrString(as_row(self)->values, name);
    if (!method) return nullptr;
    PyObject* r = PyObject_Vectorcall(method, args, static_cast<std::size_t>(nargs), nullptr);
    Py_DECREF(method);
    return r;
}

PyObject* index_of(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    return tuple_method(self, "index", args, nargs);
}

PyObject* count(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    return tuple_method(self, "count", args, nargs);
}

PyObject* reduce(PyObject* self, PyObject*) {
    return Py_BuildValue("O(OO)", Py_TYPE(self), as_row(self)->values, as_row(self)->index);
}

// Rows equal rows with the same values and columns, tuples with the same values, dicts with the
// same columns and values; they have no order and no hash (they compare like their contents).
PyObject* richcompare(PyObject* self, PyObject* other, int op) {
    if (op != Py_EQ && op != Py_NE) Py_RETURN_NOTIMPLEMENTED;
    RowObject* r = as_row(self);
    int equal = -1;
    if (Py_TYPE(other) == g_row_type) {
        equal = PyObject_RichCompareBool(r->values, as_row(other)->values, Py_EQ);
        if (equal == 1 && r->index != as_row(other)->index) {
            PyObject* mine = PyDict_Keys(r->index);
            PyObject* theirs = mine ? PyDict_Keys(as_row(other)->index) : nullptr;
            equal = theirs ? PyObject_RichCompareBool(mine, theirs, Py_EQ) : -1;
            Py_XDECREF(theirs);
            Py_XDECREF(mine);
        }
    } else if (PyTuple_Check(other)) {
        equal = PyObject_RichCompareBool(r->values, other, Py_EQ);
    } else if (PyDict_Check(other)) {
        PyObject* mine = as_dict(self);
        equal = mine ? PyObject_RichCompareBool(mine, other, Py_EQ) : -1;
        Py_XDECREF(mine);
    } else {
        Py_RETURN_NOTIMPLEMENTED;
    }
    if (equal < 0) return nullptr;
    return PyBool_FromLong(op == Py_EQ ? equal : !equal);
}

PyObject* repr(PyObject* self) {
    const int busy = Py_ReprEnter(self);  // a row holding itself (through a JSON value)
    if (busy != 0) return busy > 0 ? PyUnicode_FromString("Row(...)") : nullptr;
    PyObject* pairs = items(self, nullptr);
    PyObject* parts = pairs ? PyList_New(0) : nullptr;
    for (Py_ssize_t i = 0; parts && i < PyList_GET_SIZE(pairs); ++i) {
        PyObject* pair = PyList_GET_ITEM(pairs, i);
        PyObject* part = PyUnicode_FromFormat("%U=%R", PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1));
        if (!part || PyList_Append(parts, part) != 0) Py_CLEAR(parts);
        Py_XDECREF(part);
    }
    PyObject* sep = parts ? PyUnicode_FromString(", ") : nullptr;
    PyObject* inner = sep ? PyUnicode_Join(sep, parts) : nullptr;
    PyObject* out = inner ? PyUnicode_FromFormat("Row(%U)", inner) : nullptr;
    Py_XDECREF(inner);
    Py_XDECREF(sep);
    Py_XDECREF(parts);
    Py_XDECREF(pairs);
    Py_ReprLeave(self);
    return out;
}

PyMethodDef methods[] = {
    {"keys", keys, METH_NOARGS, "The column names, in order."},
    {"values", values, METH_NOARGS, "The values, as a tuple."},
    {"items", items, METH_NOARGS, "(column, value) pairs, in order."},
    {"get", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(get)), METH_FASTCALL,
     "get(column, default=None): the column's value, or the default if there is no such column."},
    {"index", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(index_of)), METH_FASTCALL,
     "The position of the first value equal to the argument (as tuple.index)."},
    {"count", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(count)), METH_FASTCALL,
     "How many values equal the argument."},
    {"_asdict", as_dict, METH_NOARGS, "The row as a new dict {column: value}."},
    {"__json__", as_dict, METH_NOARGS, "The row as a dict (the native JSON writer writes rows without it)."},
    {"__reduce__", reduce, METH_NOARGS, nullptr},
    {"__class_getitem__", Py_GenericAlias, METH_O | METH_CLASS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyMemberDef members[] = {
    {"_values", T_OBJECT, offsetof(RowObject, values), READONLY, nullptr},
    {"_index", T_OBJECT, offsetof(RowObject, index), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr},
};

PyType_Slot slots[] = {
    {Py_tp_new, reinterpret_cast<void*>(row_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(clear)},
    {Py_tp_repr, reinterpret_cast<void*>(repr)},
    {Py_tp_hash, reinterpret_cast<void*>(PyObject_HashNotImplemented)},
    {Py_tp_richcompare, reinterpret_cast<void*>(richcompare)},
    {Py_tp_iter, reinterpret_cast<void*>(iter)},
    {Py_sq_length, reinterpret_cast<void*>(length)},
    {Py_sq_item, reinterpret_cast<void*>(item)},
    {Py_sq_contains, reinterpret_cast<void*>(contains)},
    {Py_mp_length, reinterpret_cast<void*>(length)},
    {Py_mp_subscript, reinterpret_cast<void*>(subscript)},
    {Py_tp_methods, methods},
    {Py_tp_members, members},
    {Py_tp_doc, const_cast<char*>("Row(values, index): one row, a tuple of its values (row[0], iteration, unpacking) "
                                  "that also answers to its column names (row['id'], keys(), items(), get()).")},
    {0, nullptr},
};

// A heap type (mutable, like the Python class it replaces: tests may patch a method on it).
PyType_Spec spec = {"cello.db.Row", sizeof(RowObject), 0,
                    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_SEQUENCE, slots};

// _rows(tuples, index): one Row per tuple of `tuples` (a list), all sharing `index`.
PyObject* rows(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyList_Check(args[0]) || !PyDict_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "_rows(list of tuples, dict)");
        return nullptr;
    }
    PyObject *tuples = args[0], *index = args[1];
    const Py_ssize_t n = PyList_GET_SIZE(tuples);
    PyObject* out = PyList_New(n);
    for (Py_ssize_t i = 0; out && i < n; ++i) {
        PyObject* values = PyList_GET_ITEM(tuples, i);
        if (!PyTuple_Check(values)) {
            PyErr_SetString(PyExc_TypeError, "_rows: each row's values are a tuple");
            Py_CLEAR(out);
            break;
        }
        PyObject* row = make_row(values, index);
        if (!row) Py_CLEAR(out);
        else PyList_SET_ITEM(out, i, row);
    }
    return out;
}

PyMethodDef rows_def = {"_rows", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(rows)), METH_FASTCALL,
                        "_rows(tuples, index): a Row for each tuple of values, sharing the column index."};

}  // namespace

bool row_parts(PyObject* o, PyObject** values, PyObject** index) {
    if (!g_row_type || Py_TYPE(o) != g_row_type) return false;
    *values = as_row(o)->values;
    *index = as_row(o)->index;
    return true;
}

void define_db_row(pyb::module_& m) {
    if (!g_row_type) {
        g_row_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&spec));
        if (!g_row_type) throw pyb::error_already_set();
    }
    m.add_object("Row", reinterpret_cast<PyObject*>(g_row_type));
    PyObject* fn = PyCFunction_NewEx(&rows_def, nullptr, m.attr("__name__").ptr());
    if (!fn) throw pyb::error_already_set();
    m.add_object("_rows", pyb::reinterpret_steal<pyb::object>(fn));
}

}  // namespace cello::py
