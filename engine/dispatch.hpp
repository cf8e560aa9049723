// From a parsed request to a filled response: target checks, routing, HEAD/OPTIONS/405, handler.
// The place where native middleware will sit around the handler call.
#pragma once

#include "engine/http_types.hpp"
#include "engine/route_table.hpp"

#include <string>

namespace cello::engine {

struct DispatchScratch {
    std::string decoded_path;  // reused across requests; owns Request::path when decoding was needed
};

// Fills `res` for `req` (whose method, target, headers and body are set). Sets the path fields of
// `req`. Returns true when the response must be sent without a body (HEAD).
bool dispatch(const RouteTable& table, Request& req, Response& res, DispatchScratch& scratch);

}  // namespace cello::engine
