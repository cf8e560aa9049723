// What every worker of a run shares, fixed before the threads start (t0 and end are written
// once, by the start barrier's completion, before any worker reads them).
#pragma once

#include "inspector/loadgen/load_config.hpp"
#include "inspector/loadgen/open_loop_schedule.hpp"
#include "inspector/loadgen/request_mix.hpp"

#include <boost/asio/ip/tcp.hpp>
#if CELLO_TLS
#include <boost/asio/ssl/context.hpp>
#endif

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cello::inspector::loadgen {

using Clock = std::chrono::steady_clock;

struct RunPlan {
    LoadConfig config;
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;
    std::vector<std::string> requests;  // serialized, one per target
    std::vector<HeaderFields> http2_requests;  // --http2: the header fields, one per target
    std::string message;                // a WebSocket run's message (config.message_size bytes)
    bool head = false;                  // HEAD responses carry no body
    std::optional<OpenLoopSchedule> schedule;
#if CELLO_TLS
    std::shared_ptr<boost::asio::ssl::context> tls;  // https://: the client side of every connection
#endif
    Clock::time_point t0{};
    Clock::time_point end{};
};

}  // namespace cello::inspector::loadgen
