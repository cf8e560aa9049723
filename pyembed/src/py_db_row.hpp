// cello.db.Row: one database row, a tuple of its values that also answers to its column names.
// Native because a handler reads a dozen per request (/fortunes: built, turned into tuples, sorted):
// as a Python class each row cost three Python-level calls (__init__, __len__, __iter__), about
// 10% of such a request; here making, indexing and iterating a row stay in C.
#pragma once

#include <pybind11/pybind11.h>

namespace cello::py {

namespace pyb = pybind11;

// Adds _cello.Row (named cello.db.Row) and _cello._rows(tuples, index) -> [Row, ...].
void define_db_row(pyb::module_& m);

// If `o` is a Row: its values (a tuple) and index (column name -> position), borrowed.
bool row_parts(PyObject* o, PyObject** values, PyObject** index);

}  // namespace cello::py
