// Python dicts of settings -> engine::Config.
#pragma once

#include "engine/config.hpp"

#include <pybind11/pybind11.h>

namespace cello::py {

// Values may be None, bool, int, float, str, a list/tuple of str, a dict of str -> str, or a list
// of (str, str) pairs. Anything else is a TypeError naming the key.
engine::Config to_config(const pybind11::dict& settings);

}  // namespace cello::py
