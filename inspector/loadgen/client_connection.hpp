// One keep-alive connection of a worker: connects (and reconnects), keeps up to `pipeline`
// requests in flight, parses responses with Beast and reports each to its worker.
#pragma once

#include "inspector/loadgen/load_stats.hpp"
#include "inspector/loadgen/request_mix.hpp"
#include "inspector/loadgen/response_counter.hpp"
#include "inspector/loadgen/run_plan.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace cello::inspector::loadgen {

class Worker;

// A request on the wire: when its latency starts (due time in open loop, send time otherwise),
// when it was actually sent (for timeouts and the uncorrected histogram), which target.
struct InFlight {
    Clock::time_point start;
    Clock::time_point sent;
    std::uint32_t target = 0;
};

class ClientConnection {
public:
    ClientConnection(Worker& worker, unsigned index);

    void connect();
    void begin();  // the run's clock started: send (or reconnect if the first connect failed)
    void check_timeout(Clock::time_point now);
    void close();  // the run ended

private:
    enum class State { Closed, Connecting, Open };

    void on_connected();
    void read();
    void on_read(std::size_t n);
    bool parse(Clock::time_point now);
    void pump();
    void pump_open_loop(Clock::time_point now);
    void send_batch();
    void fail(std::uint64_t ErrorCounts::*kind);
    void reset();
    void retry_later();
    void complete(Clock::time_point now);

    Worker& worker_;
    const RunPlan& plan_;
    const unsigned index_;  // over all connections of the run (open-loop slot)
    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer timer_;  // open loop: next due time; after a failed connect: retry
    State state_ = State::Closed;
    std::uint64_t epoch_ = 0;          // bumped on every reset, so late handlers of the old socket do nothing
    bool writing_ = false;
    bool timer_armed_ = false;
    Clock::time_point connect_started_{};
    boost::beast::flat_buffer buffer_;
    std::optional<ResponseCounter> parser_;
    std::vector<InFlight> in_flight_;  // FIFO; front() is the oldest (ring of capacity `pipeline`)
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::vector<boost::asio::const_buffer> batch_;
    MixPicker mix_;
    std::uint64_t next_k_ = 0;  // open loop: the next request of this connection's schedule
};

}  // namespace cello::inspector::loadgen
