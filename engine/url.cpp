#include "engine/url.hpp"

#include <simdjson.h>

namespace cello::engine {

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out, bool plus_as_space) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) return false;
            const int hi = hex_value(in[i + 1]);
            const int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_as_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return true;
}

bool valid_utf8(std::string_view s) noexcept { return simdjson::validate_utf8(s.data(), s.size()); }

bool parse_query(std::string_view query, std::vector<std::pair<std::string, std::string>>& out) {
    std::size_t pos = 0;
    while (pos <= query.size()) {
        std::size_t amp = query.find('&', pos);
        if (amp == std::string_view::npos) amp = query.size();
        const std::string_view part = query.substr(pos, amp - pos);
        pos = amp + 1;
        if (part.empty()) {
            if (amp == query.size()) break;
            continue;
        }
        const std::size_t eq = part.find('=');
        std::string name, value;
        if (!percent_decode(part.substr(0, eq), name, true)) return false;
        if (eq != std::string_view::npos && !percent_decode(part.substr(eq + 1), value, true)) return false;
        if (!valid_utf8(name) || !valid_utf8(value)) return false;
        out.emplace_back(std::move(name), std::move(value));
        if (amp == query.size()) break;
    }
    return true;
}

}  // namespace cello::engine
