// The native multipart/form-data parser (engine/multipart.hpp) for cello/multipart.py:
// _cello.MultipartReader, _cello.MultipartError and _cello.header_params.
#pragma once

#include <pybind11/pybind11.h>

namespace cello::py {

void define_multipart(pybind11::module_& m);

}  // namespace cello::py
