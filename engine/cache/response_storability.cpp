#include "engine/cache/response_storability.hpp"

#include "engine/http_date.hpp"

#include <algorithm>

namespace cello::engine {

namespace {

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

// delta-seconds (RFC 9111 1.2.2): 1*DIGIT, too large a value meaning 2^31. Malformed: 0, so the
// response is stale at once (RFC 9111 4.2.1) rather than fresh for a lifetime nobody gave it.
std::int64_t delta_seconds(std::string_view s) noexcept {
    constexpr std::int64_t kMax = 2147483648;
    if (s.empty()) return 0;
    std::int64_t n = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return 0;
        n = std::min(kMax, n * 10 + (c - '0'));
    }
    return n;
}

void keep_smallest(std::optional<std::int64_t>& slot, std::int64_t value) {
    slot = slot ? std::min(*slot, value) : value;
}

// 206 is a part of the representation (Response.file with a Range): never the answer for everyone.
bool cacheable_status(int status) noexcept { return status >= 200 && status < 300 && status != 206; }

// Adds the field names of one Vary line to `names`; false when it lists "*".
bool add_vary(std::string_view list, std::vector<std::string>& names) {
    while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view item = trim_ows(list.substr(0, comma));
        if (item == "*") return false;
        if (!item.empty()) {
            std::string lower(item);
            for (auto& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
            names.push_back(std::move(lower));
        }
        if (comma == std::string_view::npos) return true;
        list.remove_prefix(comma + 1);
    }
}

}  // namespace

void CacheControl::add(std::string_view v) {
    // #( token [ "=" ( token / quoted-string ) ] ), RFC 9111 5.2. A comma inside a quoted string
    // (private="Set-Cookie, X-Id") does not start a directive.
    std::size_t i = 0;
    while (i < v.size()) {
        while (i < v.size() && (is_ows(v[i]) || v[i] == ',')) ++i;
        const std::size_t name_start = i;
        while (i < v.size() && v[i] != '=' && v[i] != ',' && !is_ows(v[i])) ++i;
        const std::string_view name = v.substr(name_start, i - name_start);
        while (i < v.size() && is_ows(v[i])) ++i;
        std::string value;
        if (i < v.size() && v[i] == '=') {
            ++i;
            while (i < v.size() && is_ows(v[i])) ++i;
            if (i < v.size() && v[i] == '"') {
                for (++i; i < v.size() && v[i] != '"'; ++i) {
                    if (v[i] == '\\' && i + 1 < v.size()) ++i;  // quoted-pair
                    value += v[i];
                }
                if (i < v.size()) ++i;  // the closing quote
            } else {
                while (i < v.size() && v[i] != ',' && !is_ows(v[i])) value += v[i++];
            }
        }
        while (i < v.size() && v[i] != ',') ++i;  // anything else before the next comma is not ours
        if (iequals(name, "no-store")) no_store = true;
        else if (iequals(name, "no-cache")) no_cache = true;
        else if (iequals(name, "private")) private_ = true;
        else if (iequals(name, "public")) public_ = true;
        else if (iequals(name, "max-age")) keep_smallest(max_age, delta_seconds(value));
        else if (iequals(name, "s-maxage")) keep_smallest(s_maxage, delta_seconds(value));
    }
}

Storability judge_response(const Response& res, std::int64_t now) {
    Storability s;
    if (!cacheable_status(res.status)) {
        s.why = "status";
        return s;
    }
    if (res.stream) {
        s.why = "streamed body";
        return s;
    }
    CacheControl cc;
    const std::string* expires = nullptr;
    const std::string* date = nullptr;
    for (const auto& [name, value] : res.headers) {
        if (iequals(name, "cache-control")) {
            cc.add(value);
        } else if (iequals(name, "vary")) {
            if (!add_vary(value, s.vary)) {
                s.why = "Vary: *";
                return s;
            }
        } else if (iequals(name, "set-cookie")) {
            // One user's session handed to everyone: never stored, whatever else the response says.
            s.why = "Set-Cookie";
            return s;
        } else if (iequals(name, "expires")) {
            if (!expires) expires = &value;
        } else if (iequals(name, "date")) {
            if (!date) date = &value;
        }
    }
    if (cc.no_store) s.why = "Cache-Control: no-store";
    else if (cc.private_) s.why = "Cache-Control: private";
    // no-cache allows storing only to revalidate every use; @cache does not revalidate.
    else if (cc.no_cache) s.why = "Cache-Control: no-cache";
    if (*s.why) return s;

    // Freshness lifetime, RFC 9111 4.2.1: a shared cache takes s-maxage, then max-age, then Expires.
    std::optional<std::int64_t> lifetime = cc.s_maxage ? cc.s_maxage : cc.max_age;
    if (!lifetime && expires) {
        const auto at = parse_http_date(*expires);
        const auto base = date ? parse_http_date(*date) : std::optional<std::int64_t>(now);
        // An invalid Expires ("0" included) means already expired (RFC 9111 5.3).
        lifetime = at ? *at - (base ? *base : now) : 0;
    }
    if (lifetime && *lifetime <= 0) {
        s.why = "stale on arrival (max-age=0, s-maxage=0 or Expires)";
        return s;
    }
    if (lifetime) s.lifetime = std::chrono::seconds(*lifetime);
    std::sort(s.vary.begin(), s.vary.end());
    s.vary.erase(std::unique(s.vary.begin(), s.vary.end()), s.vary.end());
    s.shared = cc.public_;
    s.storable = true;
    return s;
}

}  // namespace cello::engine
