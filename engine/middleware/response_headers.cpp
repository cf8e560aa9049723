#include "engine/middleware/response_headers.hpp"

namespace cello::engine {

namespace {

// True when the comma-separated `list` holds `token` or "*".
bool lists(std::string_view list, std::string_view token) noexcept {
    while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view item = trim_ows(list.substr(0, comma));
        if (item == "*" || iequals(item, token)) return true;
        if (comma == std::string_view::npos) return false;
        list.remove_prefix(comma + 1);
    }
}

}  // namespace

const std::string* find_header(const Response& res, std::string_view name) noexcept {
    for (const auto& [n, v] : res.headers)
        if (iequals(n, name)) return &v;
    return nullptr;
}

void add_vary(Response& res, std::string_view token) {
    for (auto& [n, v] : res.headers) {
        if (!iequals(n, "vary")) continue;
        if (lists(v, token)) return;
        if (trim_ows(v).empty()) v.assign(token);
        else v.append(", ").append(token);
        return;
    }
    res.headers.emplace_back("Vary", std::string(token));
}

}  // namespace cello::engine
