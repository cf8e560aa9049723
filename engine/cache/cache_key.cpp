#include "engine/cache/cache_key.hpp"

#include "engine/cache/cache_policy.hpp"

#include <algorithm>

namespace cello::engine {

namespace {

void append_length(std::string& key, std::size_t n) {
    append_decimal(key, n);
    key += ':';
}

void append_field(std::string& key, std::string_view value) {
    append_length(key, value.size());
    key += value;
}

std::string_view param_name(std::string_view part) noexcept { return part.substr(0, part.find('=')); }

// `name` equals the lowercase `lower` of the same length, ignoring ASCII case. Inline, for the
// per-request header scan.
inline bool is_name(std::string_view name, std::string_view lower) noexcept {
    for (std::size_t i = 0; i < lower.size(); ++i) {
        const char c = name[i];
        if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != lower[i]) return false;
    }
    return true;
}

}  // namespace

void append_cache_host(std::string& key, std::string_view host) {
    append_length(key, host.size());
    const std::size_t at = key.size();
    key.resize(at + host.size());
    char* out = key.data() + at;
    for (const char c : host) *out++ = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

void append_cache_target(std::string& key, const Request& req) {
    // The raw path and query come from the request line: they hold neither '\n' nor '?' (the
    // query's own '?' aside), so they need no length prefix.
    key += req.raw_path;
    if (req.query.empty()) return;
    std::vector<std::string_view> parts;
    std::string_view rest = req.query;
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        if (const auto part = rest.substr(0, amp); !part.empty()) parts.push_back(part);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    }
    std::stable_sort(parts.begin(), parts.end(),
                     [](std::string_view a, std::string_view b) { return param_name(a) < param_name(b); });
    for (std::size_t i = 0; i < parts.size(); ++i) {
        key += i ? '&' : '?';
        key += parts[i];
    }
}

void append_cache_headers(std::string& key, const Request& req, const std::vector<std::string>& names) {
    for (const auto& name : names) {
        key += '\n';
        key += name;
        for (std::size_t i = 0; i < req.header_count; ++i) {
            if (!iequals(req.headers[i].name, name)) continue;
            key += '=';
            append_field(key, req.headers[i].value);
        }
    }
}

void append_cache_key(std::string& key, const Request& req, const std::vector<std::string>& vary) {
    append_cache_host(key, req.header("host"));
    key += ' ';
    append_cache_target(key, req);
    append_cache_headers(key, req, vary);
}

std::string vary_key(const std::vector<std::string>& names, const Request& req) {
    // '\x1f' appears in no primary key (request lines and tokens hold no control characters, and
    // everything else is length-prefixed): a variant's slot never collides with a primary key.
    std::string out = "\x1f";
    append_cache_headers(out, req, names);
    return out;
}

RequestFacts scan_request(const Request& req, const CachePolicy& policy) noexcept {
    RequestFacts facts;
    bool host_seen = false;
    for (std::size_t i = 0; i < req.header_count; ++i) {
        const Header& h = req.headers[i];
        // Length first: most headers are none of these, and that costs one compare.
        switch (h.name.size()) {
            case 4:
                if (!host_seen && is_name(h.name, "host")) {
                    facts.host = h.value;
                    host_seen = true;
                }
                break;
            case 6:  // an empty field carries no credential
                if (!policy.keys_cookie && !h.value.empty() && is_name(h.name, "cookie"))
                    facts.unkeyed_credentials = true;
                break;
            case 13:
                if (!policy.keys_authorization && !h.value.empty() && is_name(h.name, "authorization"))
                    facts.unkeyed_credentials = true;
                break;
            default: break;
        }
    }
    return facts;
}

bool carries_unkeyed_credentials(const Request& req, const CachePolicy& policy) noexcept {
    return scan_request(req, policy).unkeyed_credentials;
}

}  // namespace cello::engine
