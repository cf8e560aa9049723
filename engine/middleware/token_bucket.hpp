// Token buckets per key (a client address), shared by every engine thread: sharded, one mutex
// per shard, bounded in memory.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace cello::engine {

class TokenBuckets {
public:
    using Key = std::array<std::uint8_t, 16>;

    struct Decision {
        bool allowed = true;
        double tokens = 0;       // left after this request
        double retry_after = 0;  // seconds until one token is back (when denied)
    };

    // `rate` tokens per second, at most `burst` saved up; at most `max_entries` keys tracked.
    TokenBuckets(double rate, double burst, std::size_t max_entries);

    // Takes one token from `key`'s bucket at time `now_ns` (any monotonic clock, in ns).
    Decision take(const Key& key, std::int64_t now_ns);

    std::size_t size() const;  // keys tracked now (for tests)

    static constexpr std::size_t kShards = 64;

private:
    struct Bucket {
        double tokens;
        std::int64_t last_ns;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept;
    };
    struct alignas(64) Shard {  // own cache line: shards are locked by different threads
        mutable std::mutex mutex;
        std::unordered_map<Key, Bucket, KeyHash> buckets;
        std::int64_t last_sweep_ns = 0;
    };

    void make_room(Shard& shard, std::int64_t now_ns);

    double rate_per_ns_;
    double burst_;
    std::int64_t full_refill_ns_;  // an idle bucket is full again after this long
    std::size_t shard_capacity_;
    std::unique_ptr<Shard[]> shards_;
};

}  // namespace cello::engine
