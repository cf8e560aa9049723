// One request's way through dispatch, whatever carries it (an HTTP/1.1 connection, an HTTP/2
// stream): the Request and Response, the dispatch, and a pending answer's wait (its deadline timer,
// its resumption, its abandonment); then the record of the answer that is reported once it is
// written (middleware complete(), the telemetry event). Private to engine/.
#pragma once

#include "engine/dispatch.hpp"
#include "engine/pending_response.hpp"
#include "engine/telemetry/exchange_report.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace cello::engine::net {

class ExchangeDriver {
public:
    explicit ExchangeDriver(boost::asio::io_context& io) : timer_(io) {}

    Request& req() noexcept { return req_; }
    Response& res() noexcept { return res_; }
    Exchange& ex() noexcept { return *ex_; }
    bool head_only() const noexcept { return head_only_; }

    // Dispatches req() (its fields set by the caller after req().reset()) on `table`. True when
    // the answer is in res(); false when it is pending: call wait().
    bool run(const RouteTable& table, std::chrono::steady_clock::time_point start, unsigned thread, bool time_handler);

    // The pending answer: `wake` is called once, from the thread that completes it (it must post
    // to this one), when resume() may be called. `table` (the one run() used) is held meanwhile.
    void wait(std::shared_ptr<const RouteTable> table, std::function<void()> wake);
    bool waiting() const noexcept { return waiting_ != nullptr; }
    // After wake: true when the answer is in res(); false when it is pending again (wait again).
    // `table` is the table the exchange was routed on.
    bool resume(std::shared_ptr<const RouteTable>& table);
    // The client left: the pending work is cancelled and the middleware that ran told.
    void abandon();

private:
    Request req_;
    Response res_;
    std::optional<Exchange> ex_;
    DispatchScratch scratch_;  // a pending request's decoded path must survive later parses
    bool head_only_ = false;
    std::shared_ptr<PendingResponse> waiting_;       // a suspended exchange's answer, not there yet
    std::shared_ptr<const RouteTable> waiting_table_;  // the exchange points into it
    boost::asio::steady_timer timer_;                  // the pending answer's deadline
};

// An answer made, with what is reported once it is written.
struct AnswerRecord {
    Completion completion;
    std::chrono::steady_clock::time_point start{};
    std::shared_ptr<const RouteTable> table;  // routed on (a reload may swap tables between answers)
    RequestEvent event;                       // with telemetry
    std::unique_ptr<AfterResponse> after;     // destroyed (so run) when the answer is out
};

// Appends the record of the exchange just answered, if anyone listens (middleware, telemetry, an
// after-response hook): `bytes_out` is the answer's size as written so far, `bytes_in` the request's.
void record_answer(std::vector<AnswerRecord>& records, ExchangeDriver& d, const std::shared_ptr<const RouteTable>& table,
                   std::chrono::steady_clock::time_point start, std::size_t bytes_in, std::size_t bytes_out,
                   const std::shared_ptr<Telemetry>& telemetry);

// The first `n` records are written: each is reported to the middleware (metrics) and, with
// `ring`, to the telemetry; then they go.
void report_written(std::vector<AnswerRecord>& records, std::size_t n, unsigned thread, EventRing* ring);

}  // namespace cello::engine::net
