// One thread of a run: an io_context, its share of the connections, the per-second tick and the
// timeout sweep. Everything here runs on that thread, except stop().
#pragma once

#include "inspector/loadgen/load_connection.hpp"
#include "inspector/loadgen/load_stats.hpp"
#include "inspector/loadgen/progress_board.hpp"
#include "inspector/loadgen/run_plan.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <vector>

namespace cello::inspector::loadgen {

class Worker {
public:
    Worker(const RunPlan& plan, ProgressBoard& board, unsigned first_index, unsigned connections);
    ~Worker();

    void connect_all();  // opens the connections before the clock starts; returns when done
    void run();          // from plan.t0 until plan.end or stop()
    void stop();         // any thread
    const Tally& totals() const noexcept { return totals_; }
    Clock::time_point finished_at() const noexcept { return finished_at_; }
    bool stopped_early() const noexcept { return stopped_early_; }

    // For the connections:
    boost::asio::io_context& io() noexcept { return io_; }
    const RunPlan& plan() const noexcept { return plan_; }
    bool running() const noexcept { return running_; }
    bool ended() const noexcept { return ended_; }  // the run is over (not running and never again)
    void connect_settled();  // a connect of connect_all() succeeded or failed
    // An answer to `request`: its HTTP status, or 0 for a WebSocket echo.
    void record(const InFlight& request, unsigned status, Clock::time_point now) noexcept;
    void count_error(std::uint64_t ErrorCounts::*kind) noexcept {
        ++(totals_.errors.*kind);
        ++(interval_.errors.*kind);
    }
    void count_bytes(std::size_t n) noexcept {
        totals_.bytes_read += n;
        interval_.bytes_read += n;
    }

private:
    void tick();
    void sweep();
    void finish(bool early);

    const RunPlan& plan_;
    ProgressBoard& board_;
    boost::asio::io_context io_;  // declared before the connections: their sockets need it
    boost::asio::steady_timer tick_timer_;
    boost::asio::steady_timer end_timer_;
    boost::asio::steady_timer sweep_timer_;
    std::vector<std::unique_ptr<LoadConnection>> connections_;
    Tally totals_;
    IntervalTally interval_;
    unsigned unsettled_ = 0;  // connects of connect_all() not yet finished
    unsigned closing_ = 0;    // connections saying goodbye after the run (LoadConnection::close_gracefully)
    unsigned second_ = 1;
    bool running_ = false;
    bool ended_ = false;
    bool stopped_early_ = false;
    Clock::time_point finished_at_{};
};

}  // namespace cello::inspector::loadgen
