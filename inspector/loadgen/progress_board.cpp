#include "inspector/loadgen/progress_board.hpp"

#include <algorithm>

namespace cello::inspector::loadgen {

ProgressBoard::ProgressBoard(unsigned workers, double duration_s, double target_rate, SecondCallback on_second)
    : workers_(workers), on_second_(std::move(on_second)) {
    progress_.duration_s = duration_s;
    progress_.target_rate = target_rate;
}

void ProgressBoard::set_start(std::chrono::steady_clock::time_point t0) {
    std::lock_guard lock(mutex_);
    t0_ = t0;
    progress_.started = true;
}

void ProgressBoard::report(unsigned second, double span_s, const IntervalTally& tally) {
    std::optional<SecondSample> done;
    {
        std::lock_guard lock(mutex_);
        auto& p = pending_[second];
        p.tally.merge(tally);
        p.span_s = std::max(p.span_s, span_s);
        if (++p.reports < workers_) return;
        done = publish(second, p);
        pending_.erase(second);
    }
    if (on_second_) on_second_(*done);
}

SecondSample ProgressBoard::publish(unsigned second, const Pending& p) {
    SecondSample s;
    s.second = second;
    s.span_s = p.span_s;
    s.requests = p.tally.requests;
    s.bytes_read = p.tally.bytes_read;
    s.errors = p.tally.errors.total();
    s.requests_per_sec = p.span_s > 0 ? static_cast<double>(s.requests) / p.span_s : 0;
    s.p50_ns = p.tally.latency.percentile(50);
    s.p90_ns = p.tally.latency.percentile(90);
    s.p99_ns = p.tally.latency.percentile(99);
    s.max_ns = p.tally.latency.max();
    progress_.requests += s.requests;
    progress_.bytes_read += s.bytes_read;
    progress_.errors.merge(p.tally.errors);
    // Workers report in order, so seconds complete in order too.
    progress_.seconds.push_back(s);
    return s;
}

void ProgressBoard::set_finished() {
    std::vector<SecondSample> late;
    {
        std::lock_guard lock(mutex_);
        // A stop can land on a second boundary: one worker may have ticked into a second the others
        // never reached. Publish what there is, so the seconds still add up to the totals.
        for (const auto& [second, p] : pending_) late.push_back(publish(second, p));
        pending_.clear();
        progress_.finished = true;
        end_ = std::chrono::steady_clock::now();
    }
    if (on_second_)
        for (const auto& s : late) on_second_(s);
}

Progress ProgressBoard::snapshot() const {
    std::lock_guard lock(mutex_);
    Progress p = progress_;
    if (t0_) {
        const auto until = p.finished ? end_ : std::chrono::steady_clock::now();
        p.elapsed_s = std::max(0.0, std::chrono::duration<double>(until - *t0_).count());
    }
    return p;
}

std::vector<SecondSample> ProgressBoard::seconds() const {
    std::lock_guard lock(mutex_);
    return progress_.seconds;
}

}  // namespace cello::inspector::loadgen
