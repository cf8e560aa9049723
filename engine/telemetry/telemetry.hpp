// What a server reports to an attached inspector: one event ring per engine thread (the hot path),
// plus a small locked queue of failed requests with their tracebacks (rare by nature).
#pragma once

#include "engine/telemetry/event_ring.hpp"

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace cello::engine {

// A failed request with what the event cannot carry.
struct ErrorRecord {
    std::int64_t time_ns = 0;
    std::uint32_t route_id = kUnmatchedRoute;
    std::uint8_t method = kUnknownMethod;
    int status = 500;
    std::string path;        // with the query
    std::string message;     // the exception, one line ("ValueError: bad id")
    std::string traceback;   // the Python traceback, as printed
    std::vector<std::pair<std::string, std::string>> headers;  // the request's
    std::string body_preview;  // the request body's first bytes
};

class Telemetry {
public:
    static constexpr std::size_t kDefaultRingCapacity = 8192;
    static constexpr std::size_t kMaxQueuedErrors = 256;
    static constexpr std::size_t kBodyPreviewBytes = 1024;

    explicit Telemetry(unsigned threads, std::size_t ring_capacity = kDefaultRingCapacity);

    // Engine side.
    EventRing& ring(unsigned thread) noexcept { return *rings_[thread % rings_.size()]; }
    void record_error(ErrorRecord e);  // never blocks for long; drops (counted) beyond the bound

    // Inspector side.
    unsigned threads() const noexcept { return static_cast<unsigned>(rings_.size()); }
    std::uint64_t dropped_events() const noexcept;
    std::vector<ErrorRecord> take_errors();
    std::uint64_t dropped_errors() const;

private:
    std::vector<std::unique_ptr<EventRing>> rings_;
    mutable std::mutex errors_mutex_;
    std::deque<ErrorRecord> errors_;
    std::uint64_t dropped_errors_ = 0;
};

}  // namespace cello::engine
