#include "engine/mime_table.hpp"

#include <algorithm>
#include <fstream>
#include <utility>

namespace cello::engine {

MimeTable::MimeTable(const std::string& mime_types_path) {
    // The file first: it is the system's (and the administrator's) word on types.
    std::ifstream in(mime_types_path);
    std::string line;
    while (in && std::getline(in, line)) {
        std::string_view rest(line);
        if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
        std::string_view type;
        while (!rest.empty()) {
            const std::size_t start = rest.find_first_not_of(" \t\r");
            if (start == std::string_view::npos) break;
            rest.remove_prefix(start);
            const std::size_t end = std::min(rest.find_first_of(" \t\r"), rest.size());
            const std::string_view word = rest.substr(0, end);
            rest.remove_prefix(end);
            if (type.empty()) type = word;
            else if (type.find('/') != std::string_view::npos) add(word, type);
        }
    }
    // The common web types, for systems without a mime.types (Windows, minimal containers).
    constexpr std::pair<std::string_view, std::string_view> kBuiltin[] = {
        {"html", "text/html"},        {"htm", "text/html"},          {"css", "text/css"},
        {"js", "text/javascript"},    {"mjs", "text/javascript"},    {"json", "application/json"},
        {"svg", "image/svg+xml"},     {"png", "image/png"},          {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},       {"gif", "image/gif"},          {"webp", "image/webp"},
        {"ico", "image/vnd.microsoft.icon"}, {"txt", "text/plain"}, {"wasm", "application/wasm"},
        {"woff", "font/woff"},        {"woff2", "font/woff2"},       {"pdf", "application/pdf"},
        {"xml", "application/xml"},
    };
    for (const auto& [ext, type] : kBuiltin) add(ext, type);
}

void MimeTable::add(std::string_view ext, std::string_view type) {
    std::string key(ext);
    for (char& c : key)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (types_.contains(key)) return;  // the first word on an extension wins
    std::string value(type);
    // Browsers otherwise guess the charset of text; the served files are expected to be UTF-8.
    if (value.starts_with("text/")) value += "; charset=utf-8";
    types_.emplace(std::move(key), std::move(value));
}

const std::string& MimeTable::lookup(std::string_view filename) const {
    const std::size_t dot = filename.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == filename.size()) return fallback_;
    std::string ext(filename.substr(dot + 1));
    for (char& c : ext)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    const auto it = types_.find(ext);
    return it == types_.end() ? fallback_ : it->second;
}

const MimeTable& system_mime_table() {
    static const MimeTable table("/etc/mime.types");  // thread-safe initialisation
    return table;
}

}  // namespace cello::engine
