// Small helpers for the headers of a Response being built, shared by the native middleware.
#pragma once

#include "engine/http_types.hpp"

#include <string>
#include <string_view>

namespace cello::engine {

// The value of the first header called `name` (case-insensitive), or null.
const std::string* find_header(const Response& res, std::string_view name) noexcept;

inline bool has_header(const Response& res, std::string_view name) noexcept {
    return find_header(res, name) != nullptr;
}

// Adds `token` to the response's Vary header (creating it), unless it is already listed or the
// header is "*". One Vary line per response, so caches that read only the first one still see all.
void add_vary(Response& res, std::string_view token);

}  // namespace cello::engine
