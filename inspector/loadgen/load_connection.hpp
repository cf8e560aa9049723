// One connection of a run, whatever it speaks: what every kind shares (connecting and
// reconnecting, the requests in flight and when to send the next, timeouts, failures and their
// counts). HTTP/1.1 is client_connection.cpp, HTTP/2 http2_connection.cpp, WebSocket
// websocket_connection.cpp. Everything runs on its worker's thread.
#pragma once

#include "inspector/loadgen/load_stats.hpp"
#include "inspector/loadgen/request_mix.hpp"
#include "inspector/loadgen/run_plan.hpp"

#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace cello::inspector::loadgen {

class Worker;

// A request (or a WebSocket message) on the wire: when its latency starts (due time in open loop,
// send time otherwise), when it was actually sent (for timeouts and the uncorrected histogram),
// which target; over HTTP/2 also its stream, how much of the body went, and its status once its
// headers came.
struct InFlight {
    Clock::time_point start;
    Clock::time_point sent;
    std::uint32_t target = 0;
    std::int32_t stream = 0;
    std::size_t body_sent = 0;
    unsigned status = 0;
};

class LoadConnection {
public:
    LoadConnection(Worker& worker, unsigned index);
    virtual ~LoadConnection() = default;
    LoadConnection(const LoadConnection&) = delete;
    LoadConnection& operator=(const LoadConnection&) = delete;

    virtual void connect() = 0;  // opens it (Closed -> Connecting -> Open)
    void begin();                // the run's clock started: send (or reconnect if the first connect failed)
    void check_timeout(Clock::time_point now);
    // The run ended: says goodbye where the protocol has a way to (a WebSocket's closing
    // handshake), calling `done` once that is over, and returns true; else closes now (false).
    virtual bool close_gracefully(std::function<void()> /*done*/) {
        reset();
        return false;
    }

protected:
    enum class State { Closed, Connecting, Open };

    virtual void pump() = 0;             // sends what may be sent now
    virtual void close_transport() = 0;  // closes the socket, drops buffers and parser state

    // A failure of `kind`: counts one error per request lost in flight (at least one), then
    // reconnects (at once after a lost connection, as wrk does; a little later after a failed connect).
    void fail(std::uint64_t ErrorCounts::*kind);
    void reset();  // closed: late handlers of the old socket see another epoch_ and do nothing

    // The next request to send at `now`, if one may go: closed loop, always (the next path of the
    // mix); open loop, the next of this connection's schedule once it is due (before that none, and
    // the timer pumps when it is; none either once the next would be due after the run's end).
    std::optional<InFlight> next_request(Clock::time_point now);

    // The requests in flight in the order they were sent (a ring of capacity `pipeline`).
    bool has_room() const noexcept { return count_ < in_flight_.size(); }
    std::size_t in_flight() const noexcept { return count_; }
    void push(const InFlight& f) noexcept {
        in_flight_[(head_ + count_) % in_flight_.size()] = f;
        ++count_;
    }
    const InFlight& oldest() const noexcept { return in_flight_[head_]; }
    void pop() noexcept {
        head_ = (head_ + 1) % in_flight_.size();
        --count_;
    }
    // The i-th oldest; and taking it out wherever it is (HTTP/2 answers come in any order).
    InFlight& at(std::size_t i) noexcept { return in_flight_[(head_ + i) % in_flight_.size()]; }
    void remove(std::size_t i) noexcept;

    Worker& worker_;
    const RunPlan& plan_;
    const unsigned index_;  // over all connections of the run (open-loop slot)
    boost::asio::steady_timer timer_;  // open loop: next due time; after a failed connect: retry
    State state_ = State::Closed;
    std::uint64_t epoch_ = 0;  // bumped on every reset
    bool writing_ = false;
    bool timer_armed_ = false;
    Clock::time_point connect_started_{};

private:
    void retry_later();

    std::vector<InFlight> in_flight_;
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    MixPicker mix_;
    std::uint64_t next_k_ = 0;  // open loop: the next request of this connection's schedule
};

}  // namespace cello::inspector::loadgen
