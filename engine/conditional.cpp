#include "engine/conditional.hpp"

#include "engine/http_date.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace cello::engine {

namespace {

// If-Range: an entity tag must match strongly (a weak one never does, RFC 9110 13.1.5); a date must
// equal Last-Modified exactly.
bool if_range_holds(std::string_view value, std::string_view etag, std::int64_t mtime) {
    value = trim_ows(value);
    if (value.starts_with("W/")) return false;
    if (value.starts_with('"')) return value == etag;
    const auto date = parse_http_date(value);
    return date && *date == mtime;
}

}  // namespace

RangeResult parse_range(std::string_view header, std::uint64_t size) noexcept {
    // Positions saturate instead of failing: a huge first-pos is a valid but unsatisfiable position,
    // a huge last-pos or suffix length means "to the end" (RFC 9110 14.1.2).
    const auto position = [](std::string_view s, std::uint64_t& out) {
        if (s.empty()) return false;
        std::uint64_t v = 0;
        for (const char c : s) {
            if (c < '0' || c > '9') return false;
            const auto d = static_cast<std::uint64_t>(c - '0');
            v = v > (std::numeric_limits<std::uint64_t>::max() - d) / 10 ? std::numeric_limits<std::uint64_t>::max()
                                                                         : v * 10 + d;
        }
        out = v;
        return true;
    };
    header = trim_ows(header);
    const std::size_t eq = header.find('=');
    if (eq == std::string_view::npos || !iequals(header.substr(0, eq), "bytes")) return {};
    const std::string_view spec = trim_ows(header.substr(eq + 1));
    if (spec.find(',') != std::string_view::npos) return {};  // several ranges: no multipart/byteranges
    const std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return {};
    const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
    std::uint64_t first = 0, last = std::numeric_limits<std::uint64_t>::max();
    if (a.empty()) {  // "-n": the last n bytes
        std::uint64_t n = 0;
        if (!position(b, n)) return {};
        if (n == 0 || size == 0) return {RangeKind::Unsatisfiable};
        return {RangeKind::Satisfiable, size - std::min(n, size), size - 1};
    }
    if (!position(a, first)) return {};
    if (!b.empty() && (!position(b, last) || last < first)) return {};  // "5-2" is invalid: ignored
    if (first >= size) return {RangeKind::Unsatisfiable};
    return {RangeKind::Satisfiable, first, std::min(last, size - 1)};
}

bool etag_list_matches(std::string_view header, std::string_view etag) noexcept {
    header = trim_ows(header);
    if (header == "*") return true;
    if (etag.starts_with("W/")) etag.remove_prefix(2);
    std::size_t i = 0;
    while (i < header.size()) {
        while (i < header.size() && (header[i] == ' ' || header[i] == '\t' || header[i] == ',')) ++i;
        if (i == header.size()) break;
        if (header.substr(i, 2) == "W/") i += 2;
        // Entity tags cannot contain '"', so the next quote ends this one (commas inside are data).
        if (i >= header.size() || header[i] != '"') return false;  // malformed: nothing matches
        const std::size_t close = header.find('"', i + 1);
        if (close == std::string_view::npos) return false;
        if (header.substr(i, close - i + 1) == etag) return true;
        i = close + 1;
    }
    return false;
}

std::string make_etag(std::uint64_t size, std::int64_t mtime_ns) {
    char digits[17];  // a 64-bit number in hex
    std::string tag = "\"";
    tag.append(digits, std::to_chars(digits, digits + sizeof digits, size, 16).ptr);
    tag += '-';
    tag.append(digits, std::to_chars(digits, digits + sizeof digits, static_cast<std::uint64_t>(mtime_ns), 16).ptr);
    tag += '"';
    return tag;
}

bool not_modified(const Request& req, std::string_view etag, std::int64_t mtime) {
    bool has_inm = false;
    for (std::size_t i = 0; i < req.header_count; ++i) {
        if (!iequals(req.headers[i].name, "If-None-Match")) continue;
        has_inm = true;
        if (etag_list_matches(req.headers[i].value, etag)) return true;
    }
    if (has_inm) return false;
    const std::string_view ims = req.header("If-Modified-Since");
    if (ims.empty()) return false;
    const auto since = parse_http_date(trim_ows(ims));
    return since && mtime <= *since;
}

RangeResult requested_range(const Request& req, std::string_view etag, std::int64_t mtime, std::uint64_t size) {
    const std::string_view range = req.header("Range");
    if (range.empty()) return {};
    const std::string_view if_range = req.header("If-Range");
    if (!if_range.empty() && !if_range_holds(if_range, etag, mtime)) return {};
    return parse_range(range, size);
}

}  // namespace cello::engine
