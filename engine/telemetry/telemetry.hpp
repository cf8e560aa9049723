// What a server reports to an attached inspector: one event ring per engine thread (the hot path),
// plus a small locked queue of failed requests with their tracebacks (rare by nature).
#pragma once

#include "engine/telemetry/event_ring.hpp"
#include "engine/telemetry/redaction.hpp"
#include "engine/telemetry/request_trace.hpp"
#include "engine/telemetry/websocket_registry.hpp"

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace cello::engine {

// A failed request with what the event cannot carry.
struct ErrorRecord {
    std::int64_t time_ns = 0;
    std::uint32_t table_generation = 0;  // see RequestEvent
    std::uint32_t route_id = kUnmatchedRoute;
    std::uint8_t method = kUnknownMethod;
    int status = 500;
    std::string path;        // with the query
    std::string message;     // the exception, one line ("ValueError: bad id")
    std::string traceback;   // the Python traceback, as printed
    std::vector<std::pair<std::string, std::string>> headers;  // the request's
    std::string body_preview;  // the request body's first bytes
    // Failures folded into this record because the queue was full: how many (this one included) and
    // when the latest was. Its other fields are the first's, except `message` (the latest).
    std::uint64_t count = 1;
    std::int64_t last_ns = 0;  // 0: same as time_ns
};

// Whether two failures are the same one: same route and status, same exception type and stack (the
// message may differ, e.g. "KeyError: 41" and "KeyError: 42").
bool same_failure(const ErrorRecord& a, const ErrorRecord& b);

// Headers and body of one request and its response, recorded only while detail capture is on
// (a development aid: the studio turns it on; it costs a lock and copies per request).
struct DetailRecord {
    std::uint16_t thread = 0;
    std::uint32_t seq = 0;   // matches RequestEvent::detail_seq of the same thread
    std::string query;       // the raw query string
    std::string target;      // the request target as received (path and query; the event's path is cut)
    std::vector<std::pair<std::string, std::string>> headers, response_headers;
    std::string body_preview;
    // The response as sent: its body's first kResponsePreviewBytes (after compression), its whole
    // size, and whether it was streamed (then neither is known here).
    std::string response_preview;
    std::uint64_t response_size = 0;
    bool response_streamed = false;
    // The handler's trace (engine/telemetry/request_trace.hpp), when it kept one.
    std::vector<QueryRecord> queries;
    std::vector<LogRecord> logs;
    std::uint32_t queries_total = 0, logs_total = 0;  // beyond the records kept
};

class Telemetry {
public:
    static constexpr std::size_t kDefaultRingCapacity = 8192;
    static constexpr std::size_t kMaxQueuedErrors = 256;
    static constexpr std::size_t kBodyPreviewBytes = 1024;
    static constexpr std::size_t kResponsePreviewBytes = 8192;  // enough for a JSON answer to read
    static constexpr std::size_t kMaxQueuedDetails = 4096;

    explicit Telemetry(unsigned threads, std::size_t ring_capacity = kDefaultRingCapacity,
                       Redaction redaction = {});
    // Rings that live elsewhere (cluster mode: in shared memory, which `keep_alive` keeps mapped).
    Telemetry(std::vector<std::unique_ptr<EventRing>> rings, Redaction redaction, std::shared_ptr<void> keep_alive);

    // Engine side. Records arrive with the request's raw headers and query; record_error and
    // record_detail redact them (headers, response headers, query, the error's target) before
    // they are queued, so no reader of telemetry ever sees a secret.
    EventRing& ring(unsigned thread) noexcept { return *rings_[thread % rings_.size()]; }
    // Never blocks for long. Beyond the bound a failure is folded into a queued record of the same
    // failure (its count goes up), or, if there is none, the oldest record is dropped (counted).
    void record_error(ErrorRecord e);
    bool capturing() const noexcept { return capture_.load(std::memory_order_relaxed); }
    void record_detail(DetailRecord d);  // only while capturing(); the oldest go beyond the bound

    // Cluster mode: a worker's error records go to another process (`send`, instead of the queue);
    // the supervisor's come from there too (`receive`, after the queue's). Set before serving.
    using ErrorSend = std::function<void(ErrorRecord)>;
    using ErrorReceive = std::function<std::vector<ErrorRecord>()>;
    void exchange_errors(ErrorSend send, ErrorReceive receive);

    // Inspector side.
    unsigned threads() const noexcept { return static_cast<unsigned>(rings_.size()); }
    std::uint64_t dropped_events() const noexcept;
    std::vector<ErrorRecord> take_errors();  // repeats of one failure folded into one record (count)
    std::uint64_t dropped_errors() const;
    void set_capture(bool on) noexcept { capture_.store(on, std::memory_order_relaxed); }
    std::vector<DetailRecord> take_details();
    const Redaction& redaction() const noexcept { return redaction_; }

    // The WebSocket connections open now and the last ones that ended (both sides use it).
    WebSocketRegistry& websockets() noexcept { return websockets_; }

private:
    Redaction redaction_;
    std::shared_ptr<void> keep_alive_;
    std::vector<std::unique_ptr<EventRing>> rings_;
    ErrorSend send_errors_;
    ErrorReceive receive_errors_;
    mutable std::mutex errors_mutex_;
    std::deque<ErrorRecord> errors_;
    std::uint64_t dropped_errors_ = 0;
    std::atomic<bool> capture_{false};
    std::mutex details_mutex_;
    std::deque<DetailRecord> details_;
    WebSocketRegistry websockets_;
};

}  // namespace cello::engine
