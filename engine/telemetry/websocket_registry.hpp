// The WebSocket connections a server has open now, with their message counts, and the last ones
// that ended (with how): what the inspector lists. The engine thread that owns a connection counts
// its messages through relaxed atomics (no lock per message); opening and closing take a lock.
#pragma once

#include "engine/telemetry/request_event.hpp"

#include <atomic>
#include <cstdint>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cello::engine {

// One WebSocket connection as the inspector shows it.
struct WebSocketRecord {
    std::uint64_t id = 0;                      // increasing, from 1
    std::int64_t opened_ns = 0;                // wall clock, ns since the Unix epoch (the accept)
    std::int64_t closed_ns = 0;                // 0 while open
    std::uint32_t route_id = kUnmatchedRoute;  // as in RequestEvent: Route::id in table_generation
    std::uint32_t table_generation = 0;
    std::uint16_t thread = 0;                  // engine thread
    std::string target;                        // path and query, secret parameters redacted
    std::string client;                        // "ip:port"
    std::string subprotocol;                   // the one accepted ("" for none)
    std::uint64_t messages_in = 0, messages_out = 0, bytes_in = 0, bytes_out = 0;  // payload bytes
    int close_code = 0;                        // once closed: 1000, 1001, 1006...
    std::string close_reason;
};

class WebSocketRegistry {
public:
    static constexpr std::size_t kRecentClosed = 100;  // ended connections kept for the listing

    // What the engine thread counts through, for one open connection.
    struct Counters {
        std::atomic<std::uint64_t> messages_in{0}, messages_out{0}, bytes_in{0}, bytes_out{0};
        void received(std::size_t bytes) noexcept {
            messages_in.fetch_add(1, std::memory_order_relaxed);
            bytes_in.fetch_add(bytes, std::memory_order_relaxed);
        }
        void sent(std::size_t bytes) noexcept {
            messages_out.fetch_add(1, std::memory_order_relaxed);
            bytes_out.fetch_add(bytes, std::memory_order_relaxed);
        }
    };

    // Registers an open connection (its id, times, counts and close fields are set here); the
    // caller counts through the counters and calls closed() with the id once it ends.
    std::pair<std::uint64_t, std::shared_ptr<Counters>> opened(WebSocketRecord record);
    void closed(std::uint64_t id, int code, std::string reason);

    struct Listing {
        std::vector<WebSocketRecord> open;    // oldest first
        std::size_t open_count = 0;           // open now (listed or not)
        std::vector<WebSocketRecord> closed;  // the last kRecentClosed, oldest first
        std::uint64_t opened_total = 0;       // since the server started, open ones included
        std::uint64_t messages_in = 0, messages_out = 0;  // every connection's, open ones included
    };
    // At most the newest `max_open` open ones are copied (`open_count` says how many there are).
    Listing list(std::size_t max_open = SIZE_MAX) const;

private:
    struct Open {
        WebSocketRecord record;
        std::shared_ptr<Counters> counters;
    };
    static void read_counts(WebSocketRecord& r, const Counters& c);

    mutable std::mutex mutex_;
    std::map<std::uint64_t, Open> open_;  // by id: oldest first
    std::deque<WebSocketRecord> closed_;
    std::uint64_t next_id_ = 1;
    std::uint64_t closed_messages_in_ = 0, closed_messages_out_ = 0;  // of every ended connection
};

}  // namespace cello::engine
