#include "engine/middleware_registry.hpp"

#include "engine/logging_middleware.hpp"

#include <stdexcept>
#include <string>

namespace cello::engine {

namespace {

using Factory = std::shared_ptr<Middleware> (*)(const Config&);

struct Known {
    std::string_view name;
    int rank;
    Factory make;
};

// Chain order, outermost first. Each factory is declared in its middleware's header and added
// here when that middleware exists.
constexpr Known kKnown[] = {
    {"logging", 20, &make_logging_middleware},
};

}  // namespace

MiddlewareEntry make_middleware(std::string_view name, const Config& config) {
    for (const Known& k : kKnown) {
        if (k.make && k.name == name) return {k.make(config), k.rank};
    }
    throw std::invalid_argument("unknown middleware '" + std::string(name) + "'");
}

}  // namespace cello::engine
