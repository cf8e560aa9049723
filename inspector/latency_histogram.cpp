#include "inspector/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cello::inspector {

unsigned LatencyHistogram::bucket_index(std::int64_t ns) noexcept {
    if (ns < static_cast<std::int64_t>(kLinearBuckets)) return ns < 0 ? 0u : static_cast<unsigned>(ns);
    if (ns > kHighestTrackable) return kBucketCount - 1;
    const auto v = static_cast<std::uint64_t>(ns);
    const unsigned e = 63u - static_cast<unsigned>(std::countl_zero(v));  // 7..36
    const unsigned shift = e - 6;  // v >> shift lies in [64, 128)
    const unsigned sub = static_cast<unsigned>(v >> shift) - kSubBuckets;
    return kLinearBuckets + (e - kFirstExponent) * kSubBuckets + sub;
}

std::int64_t LatencyHistogram::bucket_lower(unsigned index) noexcept {
    if (index < kLinearBuckets) return index;
    const unsigned k = index - kLinearBuckets;
    const unsigned e = kFirstExponent + k / kSubBuckets;
    const unsigned sub = k % kSubBuckets;
    return static_cast<std::int64_t>(kSubBuckets + sub) << (e - 6);
}

std::int64_t LatencyHistogram::bucket_width(unsigned index) noexcept {
    if (index < kLinearBuckets) return 1;
    const unsigned e = kFirstExponent + (index - kLinearBuckets) / kSubBuckets;
    return std::int64_t{1} << (e - 6);
}

void LatencyHistogram::record(std::int64_t ns, std::uint64_t times) noexcept {
    if (times == 0) return;
    if (ns < 0) ns = 0;
    counts_[bucket_index(ns)] += times;
    if (count_ == 0) {
        min_ = max_ = ns;
    } else {
        min_ = std::min(min_, ns);
        max_ = std::max(max_, ns);
    }
    count_ += times;
}

std::int64_t LatencyHistogram::percentile(double p) const noexcept {
    if (count_ == 0) return 0;
    if (!(p > 0)) return min_;  // also NaN
    if (p >= 100) return max_;
    auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (unsigned i = 0; i < kBucketCount; ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            const std::int64_t mid = bucket_lower(i) + bucket_width(i) / 2;
            return std::clamp(mid, min_, max_);
        }
    }
    return max_;
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
    if (other.count_ == 0) return;
    for (unsigned i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
    if (count_ == 0) {
        min_ = other.min_;
        max_ = other.max_;
    } else {
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
    }
    count_ += other.count_;
}

void LatencyHistogram::reset() noexcept {
    counts_.fill(0);
    count_ = 0;
    min_ = max_ = 0;
}

}  // namespace cello::inspector
