// What an attached inspector hears of one answered exchange: its event's fields, a failure's error
// record, the detail capture (headers and bodies) and, for work that runs after the answer, how a
// failure there is reported. The connection only says when: answered (report_answer), written
// (publish_written). Kept here so that the connection holds no inspector code.
#pragma once

#include "engine/middleware.hpp"
#include "engine/route_table.hpp"
#include "engine/telemetry/telemetry.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace cello::engine {

// One exchange as the connection has it when the answer is made.
struct AnsweredExchange {
    const Exchange& ex;
    const Request& req;
    Response& res;                 // its trace and error are moved into the records
    const RouteTable& table;       // the table that routed it
    std::size_t bytes_in = 0;      // the request as received
    bool head_only = false;
};

// Fills the event's fields known at answer time (the route against `a.table`, handler and database
// time), records the failure (res.error) and, while capture is on, the detail record.
// `e`: value-initialised.
void report_answer(Telemetry& telemetry, RequestEvent& e, const AnsweredExchange& a);

// How work done after the answer (background tasks) reports a failure: as an error of this
// request, with its route, status and headers.
std::function<void(std::string, std::string)> after_answer_reporter(std::shared_ptr<Telemetry> telemetry,
                                                                    const AnsweredExchange& a);

// The answer is written: the event gets its time, latency, size and status and goes in the ring.
void publish_written(EventRing& ring, RequestEvent& e, const Completion& c, std::int64_t wall_ns);

}  // namespace cello::engine
