// Static files: app.static(prefix, directory) served natively (ETag, Last-Modified, Range, streaming).
// Behaviour and what is refused: docs/middleware-static.md.
#pragma once

#include "engine/config.hpp"
#include "engine/middleware.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cello::engine {

// Settings: prefix ("/static", no trailing slash; "/" serves the whole path space), directory
// (must exist), max_age (seconds for Cache-Control, default 3600), mime_types (the mime.types file to
// read, default /etc/mime.types; a missing file leaves the built-in table).
// Throws std::invalid_argument for bad settings.
std::shared_ptr<Middleware> make_static_middleware(const Config& config);

// The pieces below are exposed for unit tests.
namespace static_files {

// A Range header evaluated against a representation of `size` bytes (RFC 9110 14.2).
enum class RangeKind : std::uint8_t {
    Ignore,         // no header, another unit, malformed, or several ranges: send the whole file (200)
    Satisfiable,    // 206 with [first, last]
    Unsatisfiable,  // 416 with Content-Range: bytes */size
};
struct RangeResult {
    RangeKind kind = RangeKind::Ignore;
    std::uint64_t first = 0;  // inclusive
    std::uint64_t last = 0;   // inclusive
};
RangeResult parse_range(std::string_view header, std::uint64_t size) noexcept;

// IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients must accept (RFC 9110 5.6.7).
// Seconds since the epoch, or nullopt when the text is not a valid HTTP-date.
std::optional<std::int64_t> parse_http_date(std::string_view text) noexcept;

// If-None-Match evaluation: true when `header` is "*" or lists an entity tag that weakly matches
// `etag` (RFC 9110 8.8.3.2: equal opaque tags, W/ ignored).
bool etag_list_matches(std::string_view header, std::string_view etag) noexcept;

// "<size hex>-<mtime ns hex>" in quotes: a strong validator (see docs/middleware-static.md).
std::string make_etag(std::uint64_t size, std::int64_t mtime_ns);

// Extension (lower-case, no dot) -> Content-Type, with "; charset=utf-8" on text/* types.
class MimeTable {
public:
    // Reads a mime.types file (type followed by extensions per line, '#' comments) when it can be
    // opened, then fills in the built-in web types the file did not name.
    explicit MimeTable(const std::string& mime_types_path);
    // The type for a file name; application/octet-stream when unknown.
    const std::string& lookup(std::string_view filename) const;
    std::size_t size() const noexcept { return types_.size(); }

private:
    void add(std::string_view ext, std::string_view type);
    std::unordered_map<std::string, std::string> types_;
    std::string fallback_ = "application/octet-stream";
};

}  // namespace static_files

}  // namespace cello::engine
