// File name extension -> Content-Type, for files served by the engine (static files, Response.file).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace cello::engine {

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

// The table of /etc/mime.types (plus the built-in types), read on first use and shared read-only.
const MimeTable& system_mime_table();

}  // namespace cello::engine
