// Response.file(): a Python Response whose `file_path` is set, answered by the engine's file code
// (engine/file_response.hpp): ETag, Last-Modified, 304, Range, a sized stream. See
// docs/files-and-forms.md.
#pragma once

#include "engine/http_types.hpp"

#include <pybind11/pybind11.h>

namespace cello::py {

namespace pyb = pybind11;

// Fills the file part of `res` for `response` (a cello.Response with file_path set); status,
// content_type and the handler's headers are already in `res`. `req` is the request being
// answered: its method (HEAD) and conditional and Range headers apply; null: the whole file is sent.
// A missing path or a directory becomes a 404, an unreadable file a 500, in the common error shape,
// logged on stderr. GIL held; throws pybind11::error_already_set for a bad file_path.
void respond_with_python_file(pyb::handle response, const engine::Request* req, engine::Response& res);

}  // namespace cello::py
