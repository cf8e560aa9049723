// `--inspect`: the inspector's HTTP API, served by its own small engine server (one thread) so a
// busy app cannot starve it and it never shares the app's port. Token-protected; loopback by default.
//
//   GET  /inspect/v1/snapshot   JSON snapshot (query: requests_since, errors_since, reloads_since,
//                               max_requests, series, histogram=<route id>)
//   GET  /inspect/v1/events     server-sent events: a "snapshot" event per interval, each with only
//                               the requests, errors and reloads that are new since the last one
//   POST /inspect/v1/cache/invalidate   {"tags": ["users"]} or ?tag=users
//   POST /inspect/v1/capture    {"on": true}: record every request's headers and body preview
//   POST /inspect/v1/reload     re-import the app and swap its routes
//
// The token goes in `Authorization: Bearer <token>` or `?token=<token>` (EventSource cannot set
// headers); anything else is 401. Schema: docs/inspector.md.
#pragma once

#include "engine/server.hpp"
#include "inspector/inspector.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace cello::inspector {

struct EventTicker;  // wakes the event streams (inspect_api.cpp)

struct InspectApiOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;     // 0: a free port (see InspectApi::port())
    std::string token;          // empty: one is generated
    std::chrono::milliseconds event_interval{1000};
};

class InspectApi {
public:
    InspectApi(std::shared_ptr<Inspector> inspector, InspectApiOptions options);
    ~InspectApi();  // stops
    InspectApi(const InspectApi&) = delete;
    InspectApi& operator=(const InspectApi&) = delete;

    void start();  // binds (std::system_error naming the address on failure)
    void stop();
    std::uint16_t port() const noexcept;
    const std::string& token() const noexcept { return options_.token; }

    static std::string generate_token();  // 32 hex digits from the OS's random source

private:
    std::shared_ptr<Inspector> inspector_;
    InspectApiOptions options_;
    std::shared_ptr<EventTicker> ticker_;
    std::unique_ptr<engine::Server> server_;
};

// Equal strings, compared in time that depends only on the lengths (tokens must not leak by timing).
bool constant_time_equals(std::string_view a, std::string_view b) noexcept;

}  // namespace cello::inspector
