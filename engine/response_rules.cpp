#include "engine/response_rules.hpp"

#include <algorithm>
#include <array>

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

bool valid_field_value(std::string_view s) noexcept {
    return std::none_of(s.begin(), s.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return (c < 0x20 && c != '\t') || c == 0x7f;
    });
}

bool is_framing_header(std::string_view name) noexcept {
    for (std::string_view framing : {"content-length", "transfer-encoding", "connection", "upgrade", "trailer",
                                     "keep-alive", "proxy-connection"})
        if (iequals(name, framing)) return true;
    return false;
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
