#include "inspector/live_view.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace cello::inspector {

LiveView::LiveView(std::size_t max_requests, std::size_t max_errors, std::size_t max_reloads)
    : max_requests_(max_requests), max_errors_(max_errors), max_reloads_(max_reloads) {}

SnapshotQuery LiveView::next_query() const {
    SnapshotQuery q;
    q.requests_since = requests_.empty() ? 0 : requests_.back().seq;
    q.errors_since = errors_.empty() ? 0 : errors_.back().seq;
    q.reloads_since = reloads_.empty() ? 0 : reloads_.back().seq;
    q.max_requests = max_requests_;
    q.series_seconds = 60;
    if (histogram_route_ != kUnmatchedRoute) {
        q.with_histogram = true;
        q.histogram_route = histogram_route_;
    }
    return q;
}

void LiveView::clear() {
    latest_ = Snapshot{};
    requests_.clear();
    errors_.clear();
    reloads_.clear();
}

LiveView::Delta LiveView::apply(Snapshot s) {
    Delta d;
    if (!empty() && s.started_ns != latest_.started_ns) {  // another run: its sequence numbers restart
        clear();
        d.restarted = true;
    }
    const std::uint64_t last_request = requests_.empty() ? 0 : requests_.back().seq;
    for (auto& r : s.requests) {
        if (r.seq <= last_request) continue;
        requests_.push_back(std::move(r));
        ++d.new_requests;
    }
    while (requests_.size() > max_requests_) {
        requests_.pop_front();
        ++d.dropped_requests;
    }
    const std::uint64_t last_error = errors_.empty() ? 0 : errors_.back().seq;
    for (auto& e : s.errors) {
        if (e.seq <= last_error) continue;
        errors_.push_back(std::move(e));
        ++d.new_errors;
    }
    while (errors_.size() > max_errors_) errors_.pop_front();
    const std::uint64_t last_reload = reloads_.empty() ? 0 : reloads_.back().seq;
    for (auto& r : s.reloads) {
        if (r.seq <= last_reload) continue;
        reloads_.push_back(std::move(r));
        ++d.new_reloads;
    }
    while (reloads_.size() > max_reloads_) reloads_.pop_front();
    // The batch's rows still held (a batch larger than max_requests keeps only its newest).
    const auto kept = static_cast<std::ptrdiff_t>(std::min(d.new_requests, requests_.size()));
    s.requests.assign(requests_.end() - kept, requests_.end());
    s.errors.clear();
    s.reloads.clear();
    latest_ = std::move(s);
    return d;
}

const ErrorRow* LiveView::error_for(const RequestRow& r) const {
    if (r.status < 500) return nullptr;
    const ErrorRow* best = nullptr;
    std::int64_t best_gap = 2'000'000'000;
    for (const auto& e : errors_) {
        if (e.method != r.method || e.route != r.route || e.status != r.status) continue;
        const std::int64_t gap = std::llabs(e.time_ns - r.time_ns);
        if (gap <= best_gap) {
            best_gap = gap;
            best = &e;
        }
    }
    return best;
}

std::vector<HistogramBar> histogram_bars(const std::vector<std::pair<std::int64_t, std::uint64_t>>& buckets,
                                         unsigned bars) {
    if (buckets.empty()) return {};
    return histogram_bars(buckets, bars, static_cast<double>(buckets.front().first),
                          static_cast<double>(buckets.back().first) * 1.016);  // the last bucket's end
}

std::vector<HistogramBar> histogram_bars(const std::vector<std::pair<std::int64_t, std::uint64_t>>& buckets,
                                         unsigned bars, double lo_ns, double hi_ns) {
    std::vector<HistogramBar> out;
    if (bars == 0) return out;
    const double lo = std::max(1.0, lo_ns);
    const double hi = std::max(lo * 1.01, hi_ns);
    const double step = std::log(hi / lo) / bars;
    out.resize(bars);
    for (unsigned i = 0; i < bars; ++i) {
        out[i].from_ms = lo * std::exp(step * i) / 1e6;
        out[i].to_ms = lo * std::exp(step * (i + 1)) / 1e6;
    }
    for (const auto& [lower, n] : buckets) {
        const double v = std::max<double>(1.0, static_cast<double>(lower));
        auto i = static_cast<long>(std::floor(std::log(v / lo) / step));
        i = std::clamp<long>(i, 0, static_cast<long>(bars) - 1);
        out[static_cast<std::size_t>(i)].count += n;
    }
    return out;
}

}  // namespace cello::inspector
