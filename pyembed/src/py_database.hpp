// The database pools from Python: _cello.SqlitePool and its leases, driven by cello/db.py.
// Parameters are converted to engine::db::DbValue with the GIL, statements run with it released,
// rows come back as tuples of plain Python values (cello/db.py turns declared types such as
// TIMESTAMP, DECIMAL, UUID or JSON into Python objects and wraps each row).
#pragma once

#include <pybind11/pybind11.h>

namespace cello::py {

namespace pyb = pybind11;

void define_database(pyb::module_& m);

}  // namespace cello::py
