// The request event as the inspector consumes it: the engine's telemetry event (engine/telemetry),
// named here so inspector code reads as one vocabulary.
#pragma once

#include "engine/telemetry/request_event.hpp"

namespace cello::inspector {

using engine::kUnmatchedRoute;
using engine::RequestEvent;

}  // namespace cello::inspector
