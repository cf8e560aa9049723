// Radix tree over path segments: static beats parameter beats catch-all, with backtracking.
// Registration validates patterns and rejects conflicts; lookup allocates nothing.
#pragma once

#include "engine/http_types.hpp"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cello::engine {

// The methods a route may be registered for, in Allow-header order.
enum class Method : std::uint8_t { Get, Head, Post, Put, Patch, Delete, Options, Count };
inline constexpr std::size_t kMethodCount = static_cast<std::size_t>(Method::Count);

// Parses a method name (case-sensitive, as HTTP says); false if not one of ours.
bool parse_method(std::string_view name, Method& out) noexcept;
std::string_view method_name(Method m) noexcept;

// The `{name:int}` rule: one or more ASCII digits (no sign) whose value is at most 2^63 - 1
// (9223372036854775807); leading zeros are allowed. Anything else does not match the segment,
// so the path is a 404 like any other non-matching value. The router matches with this and the
// Python bridge converts with it, so a matched parameter always converts.
bool parse_int_param(std::string_view segment, std::int64_t& value) noexcept;

// Thrown for malformed or conflicting patterns; what() names the pattern.
class RouteError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

class Router {
public:
    Router();
    ~Router();
    Router(Router&&) noexcept;
    Router& operator=(Router&&) noexcept;

    // Registers `pattern` for `method` with an opaque route id.
    void add(Method method, std::string_view pattern, std::uint32_t route_id);

    enum class Outcome { Found, MethodNotAllowed, NotFound };

    struct Result {
        Outcome outcome = Outcome::NotFound;
        std::uint32_t route_id = 0;
        // For MethodNotAllowed and for automatic OPTIONS: the Allow header value.
        std::string_view allow;
    };

    // Looks `path` up for `method`. Parameters land in `match` as views into `path`.
    Result find(Method method, std::string_view path, RouteMatch& match) const;

private:
    struct Node;
    std::unique_ptr<Node> root_;
};

}  // namespace cello::engine
