// Prometheus metrics, natively: records every request and answers scrapes of the endpoint
// (app.enable_prometheus()). No Python runs for either.
#pragma once

#include "engine/config.hpp"
#include "engine/middleware.hpp"

#include <memory>

namespace cello::engine {

// Settings: endpoint = "/metrics", namespace = "cello", subsystem = "http".
// Middleware built with the same namespace and subsystem share one store while any of them is
// alive, so counters carry over when a reloaded route table brings a new middleware.
std::shared_ptr<Middleware> make_metrics_middleware(const Config& config);

}  // namespace cello::engine
