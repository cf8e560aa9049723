#include "inspector/time_series.hpp"

namespace cello::inspector {

namespace {
constexpr std::int64_t kNsPerSecond = 1'000'000'000;
std::int64_t second_of(std::int64_t ns) noexcept {
    return ns >= 0 ? ns / kNsPerSecond : (ns - kNsPerSecond + 1) / kNsPerSecond;
}
}  // namespace

TimeSeries::TimeSeries(unsigned seconds) : buckets_(seconds == 0 ? 1 : seconds) {}

void TimeSeries::record(const RequestEvent& e) {
    const std::int64_t sec = second_of(e.time_ns);
    const auto n = static_cast<std::int64_t>(buckets_.size());
    auto& b = buckets_[static_cast<std::size_t>(((sec % n) + n) % n)];
    if (b.second != sec) {
        if (b.second > sec) return;  // too old for the series
        b.second = sec;
        b.errors_5xx = b.hits = b.misses = 0;
        b.hist.reset();
    }
    b.hist.record(e.latency_ns);
    b.errors_5xx += e.status >= 500;
    b.hits += e.cache == engine::CacheOutcome::Hit;
    b.misses += e.cache == engine::CacheOutcome::Miss;
}

std::vector<SecondPoint> TimeSeries::points(std::int64_t now_ns) const {
    const std::int64_t now = second_of(now_ns);
    const auto n = static_cast<std::int64_t>(buckets_.size());
    std::vector<SecondPoint> out;
    out.reserve(buckets_.size());
    for (std::int64_t sec = now - n + 1; sec <= now; ++sec) {
        SecondPoint p;
        p.second = sec;
        const auto& b = buckets_[static_cast<std::size_t>(((sec % n) + n) % n)];
        if (b.second == sec) {
            p.requests = b.hist.count();
            p.errors_5xx = b.errors_5xx;
            p.cache_hits = b.hits;
            p.cache_misses = b.misses;
            if (b.hits + b.misses)
                p.hit_ratio = static_cast<double>(b.hits) / static_cast<double>(b.hits + b.misses);
            p.p50_ns = b.hist.percentile(50);
            p.p99_ns = b.hist.percentile(99);
        }
        out.push_back(p);
    }
    return out;
}

void TimeSeries::reset() {
    for (auto& b : buckets_) {
        b.second = -1;
        b.errors_5xx = b.hits = b.misses = 0;
        b.hist.reset();
    }
}

}  // namespace cello::inspector
