#include "engine/json_escape.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace cello::engine {

namespace {

// 0: copy as is; 'u': \u00XX; otherwise the escape letter.
constexpr std::array<char, 256> make_escape_table() {
    std::array<char, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[c] = 'u';
    t['\b'] = 'b';
    t['\f'] = 'f';
    t['\n'] = 'n';
    t['\r'] = 'r';
    t['\t'] = 't';
    t['"'] = '"';
    t['\\'] = '\\';
    return t;
}
constexpr auto kEscape = make_escape_table();

// True when any of the 8 bytes in `w` is < 0x20, '"' or '\\' (bit tricks on a 64-bit word, so
// the common clean string is copied 8 bytes per step).
inline bool needs_escape(std::uint64_t w) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const std::uint64_t below_space = (w - ones * 0x20) & ~w;
    const std::uint64_t q = w ^ (ones * '"');
    const std::uint64_t b = w ^ (ones * '\\');
    const std::uint64_t quote = (q - ones) & ~q;
    const std::uint64_t backslash = (b - ones) & ~b;
    return ((below_space | quote | backslash) & highs) != 0;
}

}  // namespace

char* write_json_string(char* dst, std::string_view s) noexcept {
    *dst++ = '"';
    const char* p = s.data();
    const char* const end = p + s.size();
    while (end - p >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        if (needs_escape(w)) break;
        std::memcpy(dst, p, 8);
        dst += 8;
        p += 8;
    }
    for (; p < end; ++p) {
        const char e = kEscape[static_cast<unsigned char>(*p)];
        if (e == 0) {
            *dst++ = *p;
        } else if (e == 'u') {
            static constexpr char hex[] = "0123456789abcdef";
            const auto c = static_cast<unsigned char>(*p);
            const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            std::memcpy(dst, esc, 6);
            dst += 6;
        } else {
            *dst++ = '\\';
            *dst++ = e;
        }
    }
    *dst++ = '"';
    return dst;
}

void append_json_string(std::string& out, std::string_view s) {
    const std::size_t used = out.size();
    out.resize(used + json_string_max_size(s.size()));
    char* const end = write_json_string(out.data() + used, s);
    out.resize(static_cast<std::size_t>(end - out.data()));
}

}  // namespace cello::engine
