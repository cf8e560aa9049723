#include "engine/cache/cache_policy.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace cello::engine {

namespace {

// tchar of RFC 9110 5.6.2.
bool is_tchar(char c) noexcept {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

}  // namespace

void CachePolicy::set_vary(const std::vector<std::string>& names) {
    std::vector<std::string> out;
    out.reserve(names.size());
    for (const auto& name : names) {
        if (name.empty() || name == "*" || !std::all_of(name.begin(), name.end(), is_tchar))
            throw std::invalid_argument("cache vary= needs request header names, not '" + name + "'");
        std::string lower = name;
        for (auto& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
        out.push_back(std::move(lower));
    }
    // One canonical order: vary=["A", "B"] and vary=["b", "a"] build the same keys.
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    vary = std::move(out);
    keys_authorization = std::binary_search(vary.begin(), vary.end(), std::string("authorization"));
    keys_cookie = std::binary_search(vary.begin(), vary.end(), std::string("cookie"));
}

}  // namespace cello::engine
