#include "engine/middleware/token_bucket.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace cello::engine {

namespace {

std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64 finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

constexpr std::int64_t kMinSweepIntervalNs = 1'000'000'000;

}  // namespace

std::size_t TokenBuckets::KeyHash::operator()(const Key& k) const noexcept {
    std::uint64_t a, b;
    std::memcpy(&a, k.data(), 8);
    std::memcpy(&b, k.data() + 8, 8);
    return static_cast<std::size_t>(mix(a ^ mix(b)));
}

TokenBuckets::TokenBuckets(double rate, double burst, std::size_t max_entries)
    : rate_per_ns_(rate / 1e9),
      burst_(burst),
      full_refill_ns_(static_cast<std::int64_t>(std::ceil(burst / rate * 1e9))),
      shard_capacity_(std::max<std::size_t>(1, max_entries / kShards)),
      shards_(std::make_unique<Shard[]>(kShards)) {}

TokenBuckets::Decision TokenBuckets::take(const Key& key, std::int64_t now_ns) {
    const std::size_t h = KeyHash{}(key);
    Shard& shard = shards_[(h >> 32) % kShards];  // high bits: the map uses the low ones
    std::lock_guard lock(shard.mutex);
    auto it = shard.buckets.find(key);
    if (it == shard.buckets.end()) {
        if (shard.buckets.size() >= shard_capacity_) make_room(shard, now_ns);
        it = shard.buckets.emplace(key, Bucket{burst_, now_ns}).first;
    }
    Bucket& b = it->second;
    // Another thread may have read the clock a moment earlier and taken the lock later: time
    // only moves forward here.
    if (now_ns > b.last_ns) {
        b.tokens = std::min(burst_, b.tokens + static_cast<double>(now_ns - b.last_ns) * rate_per_ns_);
        b.last_ns = now_ns;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return {true, b.tokens, 0.0};
    }
    return {false, b.tokens, (1.0 - b.tokens) / (rate_per_ns_ * 1e9)};
}

void TokenBuckets::make_room(Shard& shard, std::int64_t now_ns) {
    // A bucket idle for a full refill is full: forgetting it changes no decision. The sweep walks
    // the whole shard, so it runs at most once a second; in between (a flood of new addresses
    // with nothing idle) an arbitrary bucket goes, which at worst gives one client a fresh burst.
    if (now_ns - shard.last_sweep_ns >= kMinSweepIntervalNs || shard.last_sweep_ns == 0) {
        shard.last_sweep_ns = now_ns;
        std::erase_if(shard.buckets, [&](const auto& kv) { return now_ns - kv.second.last_ns >= full_refill_ns_; });
    }
    if (shard.buckets.size() >= shard_capacity_) shard.buckets.erase(shard.buckets.begin());
}

std::size_t TokenBuckets::size() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < kShards; ++i) {
        std::lock_guard lock(shards_[i].mutex);
        n += shards_[i].buckets.size();
    }
    return n;
}

}  // namespace cello::engine
