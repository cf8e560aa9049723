// _cello.HealthState: the state the native health probes answer from (engine/health), kept up to
// date by cello/health.py.
#pragma once

#include <pybind11/pybind11.h>

namespace cello::py {

namespace pyb = pybind11;

void define_health(pyb::module_& m);

}  // namespace cello::py
