#include "engine/net/exchange_driver.hpp"

#include <algorithm>

namespace cello::engine::net {

bool ExchangeDriver::run(const RouteTable& table, std::chrono::steady_clock::time_point start, unsigned thread,
                         bool time_handler) {
    res_.clear();
    ex_.emplace(table, req_, res_, thread);
    ex_->start = start;
    ex_->time_handler = time_handler;
    head_only_ = dispatch(*ex_, scratch_);
    return !res_.pending;
}

void ExchangeDriver::wait(std::shared_ptr<const RouteTable> table, std::function<void()> wake) {
    waiting_ = std::move(res_.pending);
    waiting_table_ = std::move(table);
    if (const auto limit = waiting_->deadline(); limit.count() > 0) {
        timer_.expires_after(limit);
        // The timer holds the PendingResponse, not this: a driver gone first cancels it.
        timer_.async_wait([pending = waiting_](const boost::system::error_code& ec) {
            if (!ec) pending->resume(pending->take_timeout_step());  // ignored once answered
        });
    }
    waiting_->attach(std::move(wake));
}

bool ExchangeDriver::resume(std::shared_ptr<const RouteTable>& table) {
    Resumption r = waiting_->take();
    waiting_.reset();
    timer_.cancel();
    table = std::move(waiting_table_);
    res_.pending.reset();
    if (r.response) {
        res_ = std::move(*r.response);
        finish_dispatch(*ex_);
    } else if (r.step(*ex_)) {
        finish_dispatch(*ex_);
    } else {
        continue_dispatch(*ex_);
        if (res_.pending) {  // pending again (an async handler that awaits)
            waiting_table_ = table;
            return false;
        }
    }
    return true;
}

void ExchangeDriver::abandon() {
    if (!waiting_) return;
    waiting_->cancel();  // the client is gone: stop the handler's task (and drop its hold on the owner)
    waiting_.reset();
    timer_.cancel();
    abandon_dispatch(*ex_);  // e.g. a cache leader lets its followers go
    waiting_table_.reset();
}

void record_answer(std::vector<AnswerRecord>& records, ExchangeDriver& d, const std::shared_ptr<const RouteTable>& table,
                   std::chrono::steady_clock::time_point start, std::size_t bytes_in, std::size_t bytes_out,
                   const std::shared_ptr<Telemetry>& telemetry) {
    Response& res = d.res();
    if (table->middleware().empty() && !telemetry && !res.after) return;
    Exchange& ex = d.ex();
    AnswerRecord& r = records.emplace_back();
    r.completion = {ex.route, ex.method, res.status, bytes_out, {}, ex.cache, std::move(ex.log_line), ex.notes, ex.unobserved};
    r.start = start;
    r.table = table;
    if (telemetry) {
        const AnsweredExchange a{ex, d.req(), res, *table, bytes_in, d.head_only()};
        report_answer(*telemetry, r.event, a);
        if (res.after) res.after->report = after_answer_reporter(telemetry, a);
    }
    r.after = std::move(res.after);
}

void report_written(std::vector<AnswerRecord>& records, std::size_t n, unsigned thread, EventRing* ring) {
    n = std::min(n, records.size());
    if (n == 0) return;
    const auto now = std::chrono::steady_clock::now();
    std::int64_t wall_ns = 0;
    if (ring)
        wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
                      .count();
    for (std::size_t i = 0; i < n; ++i) {
        AnswerRecord& r = records[i];
        r.completion.latency = now - r.start;
        for (const auto& m : r.table->middleware()) m->complete(r.completion, thread);
        if (ring) publish_written(*ring, r.event, r.completion, wall_ns);
    }
    records.erase(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace cello::engine::net
