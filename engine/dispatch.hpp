// From a parsed request to a filled response: target checks, routing, HEAD/OPTIONS/405, handler.
// The place where native middleware will sit around the handler call.
#pragma once

#include "engine/http_types.hpp"
#include "engine/middleware.hpp"
#include "engine/route_table.hpp"

#include <string>

namespace cello::engine {

struct DispatchScratch {
    std::string decoded_path;  // reused across requests; owns Request::path when decoding was needed
};

// Fills `ex.res` for `ex.req` (whose method, target, headers and body are set): checks and decodes
// the path, routes, runs the middleware chain around the handler (or 404/405/OPTIONS). Sets the
// path fields of the request and ex.method/route/head_only. Returns true when the response must be
// sent without a body (HEAD).
// When the handler left the response pending (an async handler that awaits), the after() hooks are
// not run yet: call finish_dispatch() once the response is there.
bool dispatch(Exchange& ex, DispatchScratch& scratch);
void finish_dispatch(Exchange& ex);
// A suspended before() resumed without answering: the chain goes on from the next middleware to
// the handler (which may leave the response pending again).
void continue_dispatch(Exchange& ex);
// The pending exchange will never be answered (the client left): tells the middleware that ran.
void abandon_dispatch(Exchange& ex);

}  // namespace cello::engine
