// HDR-style log-linear histogram of nanosecond latencies, fixed memory (2048 counters, 16 KiB).
//
// Values 0..127 ns each have their own bucket. Above that, every power of two [2^e, 2^(e+1)) for
// e = 7..36 is split into 64 equal sub-buckets, so a bucket is at most 1/64 (1.56 %) of its lower
// edge wide and a reported value is within 0.78 % of any value in its bucket. The range ends at
// 2^37 ns (about 137 s); larger values are counted in the last bucket (max() stays exact).
// Negative values are recorded as 0.
//
// Not thread-safe: one owner (the inspector thread) records and reads.
#pragma once

#include <array>
#include <cstdint>

namespace cello::inspector {

class LatencyHistogram {
public:
    static constexpr unsigned kLinearBuckets = 128;   // exact buckets for 0..127 ns
    static constexpr unsigned kSubBuckets = 64;       // per power of two above that
    static constexpr unsigned kFirstExponent = 7;     // 2^7 = 128
    static constexpr unsigned kLastExponent = 36;     // last octave [2^36, 2^37)
    static constexpr unsigned kBucketCount =
        kLinearBuckets + (kLastExponent - kFirstExponent + 1) * kSubBuckets;  // 2048
    static constexpr std::int64_t kHighestTrackable = (std::int64_t{1} << (kLastExponent + 1)) - 1;

    void record(std::int64_t ns, std::uint64_t times = 1) noexcept;
    std::uint64_t count() const noexcept { return count_; }
    std::int64_t max() const noexcept { return count_ ? max_ : 0; }  // exact
    std::int64_t min() const noexcept { return count_ ? min_ : 0; }  // exact
    // The value at percentile p (clamped to [0, 100]): the midpoint of the bucket holding the
    // sample of rank ceil(p/100 * count) (at least 1), clamped to [min(), max()]; so p = 0 gives
    // min(), p = 100 gives max(). 0 when empty.
    std::int64_t percentile(double p) const noexcept;
    // How many values fell into bucket `index` (< kBucketCount), for exporting the histogram.
    std::uint64_t bucket_count(unsigned index) const noexcept { return counts_[index]; }
    void merge(const LatencyHistogram& other) noexcept;
    void reset() noexcept;

    static unsigned bucket_index(std::int64_t ns) noexcept;
    static std::int64_t bucket_lower(unsigned index) noexcept;
    static std::int64_t bucket_width(unsigned index) noexcept;

private:
    std::array<std::uint64_t, kBucketCount> counts_{};
    std::uint64_t count_ = 0;
    std::int64_t max_ = 0;
    std::int64_t min_ = 0;
};

}  // namespace cello::inspector
