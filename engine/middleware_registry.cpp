#include "engine/middleware_registry.hpp"

#include <stdexcept>
#include <string>

namespace cello::engine {

// Each middleware's factory, declared from the list (no header of theirs needed here).
#define CELLO_MIDDLEWARE(name, rank) std::shared_ptr<Middleware> make_##name##_middleware(const Config&);
#include "engine/middleware/registered.inc"
#undef CELLO_MIDDLEWARE

namespace {

using Factory = std::shared_ptr<Middleware> (*)(const Config&);

struct Known {
    std::string_view name;
    int rank;
    Factory make;
};

constexpr Known kKnown[] = {
#define CELLO_MIDDLEWARE(name, rank) {#name, rank, &make_##name##_middleware},
#include "engine/middleware/registered.inc"
#undef CELLO_MIDDLEWARE
};

}  // namespace

MiddlewareEntry make_middleware(std::string_view name, const Config& config) {
    for (const Known& k : kKnown) {
        if (k.name == name) return {k.make(config), k.rank};
    }
    throw std::invalid_argument("unknown middleware '" + std::string(name) + "'");
}

std::vector<std::string_view> middleware_names() {
    std::vector<std::string_view> names;
    for (const Known& k : kKnown) names.push_back(k.name);
    return names;
}

}  // namespace cello::engine
