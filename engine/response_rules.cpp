#include "engine/response_rules.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace cello::engine {

namespace {

constexpr std::array<bool, 256> make_tchar_table() {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
    return t;
}
constexpr auto kTchar = make_tchar_table();

}  // namespace

bool is_token(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return kTchar[static_cast<unsigned char>(c)]; });
}

namespace {

bool control_char(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

// Eight bytes at a time: does any byte look like a control (< 0x20, which includes HTAB, or 0x7f)?
// Every response's content type and headers pass here, so the common case must be cheap.
bool may_hold_control(std::uint64_t x) {
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const std::uint64_t below_space = (x - ones * 0x20) & ~x & highs;
    const std::uint64_t y = x ^ (ones * 0x7f);
    const std::uint64_t is_del = (y - ones) & ~y & highs;
    return (below_space | is_del) != 0;
}

}  // namespace

bool valid_field_value(std::string_view s) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t word;
        std::memcpy(&word, s.data() + i, 8);
        if (may_hold_control(word) &&
            std::any_of(s.begin() + static_cast<std::ptrdiff_t>(i), s.begin() + static_cast<std::ptrdiff_t>(i + 8),
                        [](char c) { return control_char(static_cast<unsigned char>(c)); }))
            return false;
    }
    for (; i < s.size(); ++i)
        if (control_char(static_cast<unsigned char>(s[i]))) return false;
    return true;
}

bool is_framing_header(std::string_view name) noexcept {
    switch (name.size()) {  // compare only names of a framing header's length
    case 7: return iequals(name, "upgrade") || iequals(name, "trailer");
    case 10: return iequals(name, "connection") || iequals(name, "keep-alive");
    case 14: return iequals(name, "content-length");
    case 16: return iequals(name, "proxy-connection");
    case 17: return iequals(name, "transfer-encoding");
    default: return false;
    }
}

std::string handler_response_problem(const Response& res) {
    if (!valid_handler_status(res.status))
        return "status " + std::to_string(res.status) + " cannot come from a handler (only 200-599)";
    if (!valid_field_value(res.content_type)) return "the content type contains a control character";
    for (const auto& [name, value] : res.headers) {
        if (!is_token(name)) return "response header name '" + name + "' is not a token (RFC 9110 5.6.2)";
        if (is_framing_header(name))
            return "response header '" + name + "' is the engine's to write (it frames the message)";
        if (!valid_field_value(value))
            return "response header '" + name + "' has a control character (CR, LF, NUL...) in its value";
    }
    return {};
}

}  // namespace cello::engine
