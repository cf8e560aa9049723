// Fuzzes engine/url.hpp: percent_decode, valid_utf8 and parse_query.
//
// Checked: decode accepts exactly the inputs whose every '%' starts a two-hex-digit escape, and
// its output has one byte per escape or plain byte; decode(encode(x)) == x for any bytes x, with
// and without plus-as-space; valid_utf8 agrees with a byte-by-byte reference validator (RFC 3629:
// no overlongs, no surrogates, nothing above U+10FFFF); parse_query yields at most one pair per
// '&'-separated piece, every name and value valid UTF-8, and re-encoding its pairs and parsing
// them again gives the same pairs.
#include "engine/url.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace cello::engine;

namespace {

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            std::fprintf(stderr, "url_fuzz: check failed at line %d: %s\n", __LINE__, #cond); \
            std::abort();                                                           \
        }                                                                           \
    } while (0)

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Every byte other than unreserved characters as %XX; ' ' as '+' when `plus_as_space`.
std::string encode(std::string_view in, bool plus_as_space) {
    static const char digits[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : in) {
        const auto u = static_cast<unsigned char>(c);
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) out += c;
        else if (c == ' ' && plus_as_space) out += '+';
        else {
            out += '%';
            out += digits[u >> 4];
            out += digits[u & 15];
        }
    }
    return out;
}

// RFC 3629, one byte at a time.
bool reference_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            ++i;
            continue;
        }
        std::size_t n;
        std::uint32_t cp;
        if (b >= 0xC2 && b <= 0xDF) n = 1, cp = b & 0x1F;
        else if (b >= 0xE0 && b <= 0xEF) n = 2, cp = b & 0x0F;
        else if (b >= 0xF0 && b <= 0xF4) n = 3, cp = b & 0x07;
        else return false;
        if (i + n >= s.size()) return false;  // truncated sequence
        for (std::size_t k = 1; k <= n; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))) return false;
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;
        i += n + 1;
    }
    return true;
}

void check_decode(std::string_view in, bool plus_as_space) {
    std::size_t escapes = 0;
    bool well_formed = true;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') continue;
        if (i + 2 < in.size() && is_hex(in[i + 1]) && is_hex(in[i + 2])) {
            ++escapes;
            i += 2;
        } else {
            well_formed = false;
            break;
        }
    }
    std::string out = "stale";
    const bool ok = percent_decode(in, out, plus_as_space);
    CHECK(ok == well_formed);
    if (ok) {
        CHECK(out.size() == in.size() - 2 * escapes);
    }
    // Any bytes survive a round trip through the encoder.
    std::string back;
    CHECK(percent_decode(encode(in, plus_as_space), back, plus_as_space));
    CHECK(back == in);
}

void check_query(std::string_view q) {
    std::vector<std::pair<std::string, std::string>> pairs;
    if (!parse_query(q, pairs)) return;
    std::size_t pieces = 1;
    for (const char c : q) pieces += c == '&';
    CHECK(pairs.size() <= pieces);
    std::string again;
    for (const auto& [name, value] : pairs) {
        CHECK(valid_utf8(name) && valid_utf8(value));
        if (!again.empty()) again += '&';
        again += encode(name, true) + "=" + encode(value, true);
    }
    std::vector<std::pair<std::string, std::string>> reparsed;
    CHECK(parse_query(again, reparsed));
    // A pair with an empty name and value is re-encoded as "=", which parses back the same.
    CHECK(reparsed == pairs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    check_decode(in, false);
    check_decode(in, true);
    CHECK(valid_utf8(in) == reference_utf8(in));
    check_query(in);
    return 0;
}
