// Sliding-window rate limit per client (RateLimitConfig.sliding_window(max_requests, window_secs),
// the original Cello's): at most `max_requests` in any `window_secs`, counted the usual cheap way —
// this fixed window's count plus the previous window's, weighted by how much of it still overlaps
// the sliding one. Unlike a token bucket, a client that used its budget cannot burst again at the
// window's edge. Per process (in cluster mode each worker counts its own; docs/middleware.md).
#include "engine/config.hpp"
#include "engine/middleware.hpp"
#include "engine/middleware/rate_limit_common.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace cello::engine {

namespace {

struct KeyHash {
    std::size_t operator()(const ClientKey& k) const noexcept {
        std::size_t h = 1469598103934665603ull;
        for (auto b : k) h = (h ^ b) * 1099511628211ull;
        return h;
    }
};

class SlidingWindowMiddleware final : public Middleware {
public:
    SlidingWindowMiddleware(std::int64_t max_requests, std::int64_t window_ns, std::size_t max_entries,
                            std::vector<IpNetwork> trusted)
        : max_(static_cast<double>(max_requests)), window_ns_(window_ns),
          shard_capacity_(std::max<std::size_t>(1, max_entries / kShards)), trusted_(std::move(trusted)),
          limit_(std::to_string(max_requests)), shards_(std::make_unique<Shard[]>(kShards)) {}

    bool before(Exchange& ex) override {
        const std::int64_t now = std::chrono::nanoseconds(std::chrono::steady_clock::now().time_since_epoch()).count();
        const ClientKey key = client_key(ex, trusted_);
        const std::int64_t index = now / window_ns_;
        const double into = static_cast<double>(now % window_ns_) / static_cast<double>(window_ns_);
        Shard& shard = shards_[KeyHash{}(key) % kShards];
        double retry_after = 0;
        {
            std::lock_guard lock(shard.mutex);
            auto it = shard.windows.find(key);
            if (it == shard.windows.end()) {
                if (shard.windows.size() >= shard_capacity_) forget_stale(shard, index);
                it = shard.windows.emplace(key, Window{index, 0, 0}).first;
            }
            Window& w = it->second;
            if (w.index != index) {  // the clock moved into a later window
                w.previous = w.index == index - 1 ? w.current : 0;
                w.current = 0;
                w.index = index;
            }
            const double used = w.previous * (1.0 - into) + w.current;
            if (used + 1 <= max_) {
                ++w.current;
                return false;
            }
            // When enough of the previous window has slid out; if this window alone is full, at
            // least until it ends.
            const double room = max_ - 1 - w.current;
            const double wait = room >= 0 && w.previous > 0 ? std::max(0.0, 1.0 - room / w.previous - into) : 1.0 - into;
            retry_after = wait * static_cast<double>(window_ns_) / 1e9;
        }
        refuse_rate_limited(ex.res, retry_after, limit_);
        return true;
    }

private:
    static constexpr std::size_t kShards = 64;
    struct Window {
        std::int64_t index;              // which fixed window `current` counts
        double current, previous;        // requests in it and in the one before
    };
    struct alignas(64) Shard {
        std::mutex mutex;
        std::unordered_map<ClientKey, Window, KeyHash> windows;
    };

    // Full: clients not seen for two windows are dropped (they count nothing any more); if none
    // is, the oldest half is (bounded memory wins over a client's count).
    void forget_stale(Shard& shard, std::int64_t index) const {
        std::erase_if(shard.windows, [&](const auto& kv) { return kv.second.index < index - 1; });
        if (shard.windows.size() < shard_capacity_) return;
        std::size_t drop = shard.windows.size() / 2;
        for (auto it = shard.windows.begin(); it != shard.windows.end() && drop > 0; --drop) it = shard.windows.erase(it);
    }

    double max_;
    std::int64_t window_ns_;
    std::size_t shard_capacity_;
    std::vector<IpNetwork> trusted_;
    std::string limit_;
    std::unique_ptr<Shard[]> shards_;
};

}  // namespace

std::shared_ptr<Middleware> make_sliding_window_middleware(const Config& config) {
    const std::int64_t max_requests = config.get_int("max_requests", 100);
    const double window_s = config.get_double("window_secs", 60.0);
    const std::int64_t max_entries = config.get_int("max_entries", 100'000);
    if (max_requests < 1 || !(window_s > 0) || !std::isfinite(window_s) || max_entries < 1)
        throw std::invalid_argument("sliding window rate limit needs max_requests >= 1, window_secs > 0, max_entries >= 1");
    return std::make_shared<SlidingWindowMiddleware>(max_requests, static_cast<std::int64_t>(window_s * 1e9),
                                                     static_cast<std::size_t>(max_entries), trusted_proxies(config));
}

}  // namespace cello::engine
