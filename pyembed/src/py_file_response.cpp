#include "py_file_response.hpp"

#include "engine/file_response.hpp"
#include "engine/status.hpp"

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace cello::py {

namespace {

// file_path (str or bytes, from os.fspath) as the OS's bytes: str goes through the filesystem
// encoding with surrogateescape, like open() does.
std::string os_path_bytes(PyObject* path) {
    pyb::object bytes;
    if (PyUnicode_Check(path)) {
        bytes = pyb::reinterpret_steal<pyb::object>(PyUnicode_EncodeFSDefault(path));
        if (!bytes) throw pyb::error_already_set();
    } else if (PyBytes_Check(path)) {
        bytes = pyb::reinterpret_borrow<pyb::object>(path);
    } else {
        throw pyb::type_error("Response.file_path must be str or bytes");
    }
    std::string out(PyBytes_AS_STRING(bytes.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(bytes.ptr())));
    if (out.find('\0') != std::string::npos) throw pyb::value_error("Response.file_path contains a NUL character");
    return out;
}

// Headers that describe the bytes sent are the engine's: the handler's copies are dropped, except
// an ETag, which replaces the computed validator.
std::string take_engine_headers(engine::Response& res) {
    std::string etag;
    std::erase_if(res.headers, [&etag](const auto& h) {
        const std::string_view name = h.first;
        if (engine::iequals(name, "etag")) {
            etag = h.second;
            return true;
        }
        for (std::string_view own : {"content-length", "content-range", "accept-ranges", "last-modified",
                                     "transfer-encoding"})
            if (engine::iequals(name, own)) return true;
        return false;
    });
    return etag;
}

// The answer when the file cannot be sent: the common error shape, without the handler's headers
// (they described a file). The path and the OS's reason go to the log only.
void fail(engine::Response& res, int status, std::string_view detail, const std::string& path, std::string_view why) {
    std::fprintf(stderr, "cello: Response.file('%s'): %.*s; answering %d\n", path.c_str(), static_cast<int>(why.size()),
                 why.data(), status);
    res.headers.clear();
    res.stream.reset();
    res.stream_length = -1;
    engine::make_error(res, status, detail);
}

}  // namespace

void respond_with_python_file(pyb::handle response, const engine::Request* req, engine::Response& res) {
    const std::string path = os_path_bytes(response.attr("file_path").ptr());
    std::string type_name;
    if (pyb::object name = response.attr("file_name"); !name.is_none()) type_name = name.cast<std::string>();
    const std::string etag = take_engine_headers(res);
    const std::string content_type = res.content_type;  // the handler's, or empty: guess from the name

    engine::Request no_request;  // no request known: no method, no conditional headers
    engine::FileOptions options;
    options.content_type = content_type;
    options.type_name = type_name;
    options.etag = etag;
    options.head_only = req && req->method == "HEAD";
    // Conditionals and ranges describe the 200 representation; another status sends the file as is.
    options.conditional = req && res.status == 200;
    res.body.clear();

    engine::FileResult result;
    try {
        result = engine::respond_with_file(req ? *req : no_request, res, std::filesystem::path(path), options);
    } catch (const std::exception& e) {
        fail(res, 500, "file could not be read", path, e.what());
        return;
    }
    switch (result.outcome) {
        case engine::FileOutcome::Sent: return;
        case engine::FileOutcome::Missing: fail(res, 404, "file not found", path, std::generic_category().message(result.error)); return;
        case engine::FileOutcome::NotRegular: fail(res, 404, "file not found", path, "not a regular file"); return;
        case engine::FileOutcome::Unreadable:
            fail(res, 500, "file could not be read", path, std::generic_category().message(result.error));
            return;
    }
}

}  // namespace cello::py
