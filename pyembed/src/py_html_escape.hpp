// cello.escape: html.escape(s, quote=True) in one pass over the string's own characters. A page
// built without a template engine escapes every value it inserts; html.escape scans each one five
// times (one str.replace per character it escapes), most of a small page's rendering time.
#pragma once

#include <pybind11/pybind11.h>

namespace cello::py {

namespace pyb = pybind11;

// Adds _cello.escape(value) -> str.
void define_html_escape(pyb::module_& m);

}  // namespace cello::py
