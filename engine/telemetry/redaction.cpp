#include "engine/telemetry/redaction.hpp"

#include "engine/http_types.hpp"
#include "engine/url.hpp"

#include <algorithm>
#include <stdexcept>

namespace cello::engine {

namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// `needle` is lowercase.
bool icontains(std::string_view haystack, std::string_view needle) noexcept {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                       [](char h, char n) { return lower(h) == n; }) != haystack.end();
}

// RFC 9110 tchar: what a header name may be made of.
bool is_token(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

std::string stand_in(std::size_t bytes) { return "<redacted, " + std::to_string(bytes) + " bytes>"; }

}  // namespace

Redaction::Redaction(const std::vector<std::string>& extra_names) {
    for (const auto& name : extra_names) {
        if (!is_token(name))
            throw std::invalid_argument("inspect_redact: '" + name + "' is not a header name");
        std::string low(name);
        std::transform(low.begin(), low.end(), low.begin(), lower);
        if (std::find(extra_.begin(), extra_.end(), low) == extra_.end()) extra_.push_back(std::move(low));
    }
}

bool Redaction::is_secret(std::string_view name) const noexcept {
    for (std::string_view s : kSecretNames)
        if (iequals(name, s)) return true;
    for (const auto& s : extra_)
        if (iequals(name, s)) return true;
    for (std::string_view s : kSecretSubstrings)
        if (icontains(name, s)) return true;
    return false;
}

std::string Redaction::value(std::string_view name, std::string_view value) const {
    return is_secret(name) ? stand_in(value.size()) : std::string(value);
}

void Redaction::apply(std::vector<std::pair<std::string, std::string>>& headers) const {
    for (auto& [name, value] : headers)
        if (is_secret(name)) value = stand_in(value.size());
}

std::string Redaction::query(std::string_view query) const {
    std::string out, decoded;
    out.reserve(query.size());
    std::size_t pos = 0;
    while (true) {
        const std::size_t amp = std::min(query.find('&', pos), query.size());
        const std::string_view part = query.substr(pos, amp - pos);
        const std::size_t eq = part.find('=');
        const std::string_view name = part.substr(0, eq);
        // An undecodable name is matched as it is: it cannot hide a secret name either way.
        const bool secret = eq != std::string_view::npos &&
                            is_secret(percent_decode(name, decoded, true) ? std::string_view(decoded) : name);
        if (secret) out.append(name).append("=").append(stand_in(part.size() - eq - 1));
        else out.append(part);
        if (amp == query.size()) break;
        out.push_back('&');
        pos = amp + 1;
    }
    return out;
}

std::string Redaction::target(std::string_view target) const {
    const std::size_t q = target.find('?');
    if (q == std::string_view::npos) return std::string(target);
    return std::string(target.substr(0, q + 1)) + query(target.substr(q + 1));
}

}  // namespace cello::engine
