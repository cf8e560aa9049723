// One file as the answer to a request: validators (ETag, Last-Modified), conditional requests
// (304), byte ranges (206, 416), the content type, and a sized stream that reads the file in
// 64 KiB chunks. Shared by the static-files middleware and Response.file (pyembed).
// Behaviour: docs/middleware-static.md (headers, conditionals, ranges, bodies).
#pragma once

#include "engine/http_types.hpp"
#include "engine/mime_table.hpp"

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace cello::engine {

struct FileOptions {
    std::string_view content_type;   // set: sent as is instead of the MIME lookup
    std::string_view type_name;      // the name whose extension picks the type; empty: the path's file name
    const MimeTable* mime = nullptr; // null: system_mime_table()
    std::string_view cache_control;  // Cache-Control on every file answer (200/206/304/416); empty: none
    std::string_view etag;           // the caller's validator; empty: "<size hex>-<mtime ns hex>" (strong)
    bool head_only = false;          // HEAD: the full file's headers and Content-Length, no body, file not kept open
    bool conditional = true;         // evaluate If-None-Match, If-Modified-Since, Range and If-Range
};

enum class FileOutcome : std::uint8_t {
    Sent,        // `res` holds the answer
    Missing,     // no such file (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG)
    NotRegular,  // a directory, FIFO, socket or device
    Unreadable,  // any other open/fstat failure (EACCES, EMFILE...)
};
struct FileResult {
    FileOutcome outcome = FileOutcome::Sent;
    int error = 0;  // for Missing and Unreadable: errno (POSIX) or GetLastError() (Windows)
};

// Opens `path` (O_NONBLOCK: a FIFO cannot block the thread), checks that the descriptor is a
// regular file, and answers `req` with it: 200 (status left as the caller set it), 206, 304 or 416.
// Adds ETag, Last-Modified, Cache-Control (if given) and Accept-Ranges to res.headers and sets
// res.content_type; up to 64 KiB is read into res.body, more becomes res.stream with
// res.stream_length. On any outcome other than Sent, `res` is untouched. Throws std::exception
// when reading a small file fails, leaving some of the file's headers in `res` (the caller resets
// them and answers 500); a stream that fails later aborts the connection.
FileResult respond_with_file(const Request& req, Response& res, const std::filesystem::path& path,
                             const FileOptions& options);

}  // namespace cello::engine
