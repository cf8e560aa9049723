#include "engine/middleware_registry.hpp"

#include "engine/middleware/compression_middleware.hpp"
#include "engine/middleware/cors_middleware.hpp"
#include "engine/middleware/logging_middleware.hpp"
#include "engine/middleware/rate_limit_middleware.hpp"
#include "engine/middleware/request_id_middleware.hpp"
#include "engine/middleware/security_headers_middleware.hpp"
#include "engine/metrics/metrics_middleware.hpp"
#include "engine/middleware/static_files.hpp"

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
    {"request_id", 10, &make_request_id_middleware},
    {"logging", 20, &make_logging_middleware},
    {"metrics", 30, &make_metrics_middleware},
    {"cors", 40, &make_cors_middleware},
    {"security_headers", 50, &make_security_headers_middleware},
    {"rate_limit", 60, &make_rate_limit_middleware},
    {"static", 70, &make_static_middleware},
    {"compression", 80, &make_compression_middleware},
};

}  // namespace

MiddlewareEntry make_middleware(std::string_view name, const Config& config) {
    for (const Known& k : kKnown) {
        if (k.make && k.name == name) return {k.make(config), k.rank};
    }
    throw std::invalid_argument("unknown middleware '" + std::string(name) + "'");
}

}  // namespace cello::engine
