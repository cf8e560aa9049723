// Adaptive rate limit per client (RateLimitConfig.adaptive(capacity, refill_rate, min_capacity,
// error_threshold), the original Cello's): a token bucket of `capacity` refilled at `refill_rate`
// a second while the server is healthy; while the share of 5xx answers over the last 10 seconds is
// above `error_threshold`, each client is held to `min_capacity` (and a refill scaled the same
// way) as well, so a struggling server sheds load until it recovers. Per process.
#include "engine/config.hpp"
#include "engine/middleware.hpp"
#include "engine/middleware/rate_limit_common.hpp"
#include "engine/middleware/token_bucket.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

namespace cello::engine {

namespace {

// Answers and 5xx answers per second over the last kSeconds seconds (a ring of one-second slots;
// a slot is reset when the clock comes round to it again).
class ErrorRate {
public:
    void count(std::int64_t second, bool failed) {
        Slot& s = slots_[static_cast<std::size_t>(second) % kSeconds];
        if (s.second.load(std::memory_order_relaxed) != second) {
            s.second.store(second, std::memory_order_relaxed);
            s.total.store(0, std::memory_order_relaxed);
            s.failed.store(0, std::memory_order_relaxed);
        }
        s.total.fetch_add(1, std::memory_order_relaxed);
        if (failed) s.failed.fetch_add(1, std::memory_order_relaxed);
    }
    // The share of failures, or 0 below `min_total` answers (too few to judge).
    double share(std::int64_t second, std::uint64_t min_total) const {
        std::uint64_t total = 0, failed = 0;
        for (const Slot& s : slots_) {
            const auto at = s.second.load(std::memory_order_relaxed);
            if (at > second - static_cast<std::int64_t>(kSeconds) && at <= second) {
                total += s.total.load(std::memory_order_relaxed);
                failed += s.failed.load(std::memory_order_relaxed);
            }
        }
        return total < min_total ? 0.0 : static_cast<double>(failed) / static_cast<double>(total);
    }

private:
    static constexpr std::size_t kSeconds = 10;
    struct Slot {
        std::atomic<std::int64_t> second{-1};
        std::atomic<std::uint64_t> total{0}, failed{0};
    };
    std::array<Slot, kSeconds> slots_;
};

class AdaptiveRateLimitMiddleware final : public Middleware {
public:
    AdaptiveRateLimitMiddleware(double capacity, double refill, double min_capacity, double threshold,
                                std::size_t max_entries, std::vector<IpNetwork> trusted)
        : normal_(refill, capacity, max_entries), strained_(refill * min_capacity / capacity, min_capacity, max_entries),
          threshold_(threshold), trusted_(std::move(trusted)),
          limit_(std::to_string(static_cast<long long>(capacity))),
          strained_limit_(std::to_string(static_cast<long long>(min_capacity))) {}

    bool before(Exchange& ex) override {
        const std::int64_t now = std::chrono::nanoseconds(std::chrono::steady_clock::now().time_since_epoch()).count();
        const ClientKey key = client_key(ex, trusted_);
        const auto d = normal_.take(key, now);
        if (!d.allowed) {
            refuse_rate_limited(ex.res, d.retry_after, limit_);
            return true;
        }
        if (errors_.share(now / 1'000'000'000, kMinAnswers) <= threshold_) return false;
        const auto tight = strained_.take(key, now);  // the server struggles: the smaller budget too
        if (tight.allowed) return false;
        refuse_rate_limited(ex.res, tight.retry_after, strained_limit_);
        return true;
    }

    void complete(const Completion& c, unsigned) override {
        if (c.unobserved || c.status == 429) return;  // probes and this limit's own refusals say nothing
        const auto now = std::chrono::steady_clock::now().time_since_epoch();
        errors_.count(std::chrono::duration_cast<std::chrono::seconds>(now).count(), c.status >= 500);
    }

private:
    static constexpr std::uint64_t kMinAnswers = 20;
    TokenBuckets normal_, strained_;
    double threshold_;
    ErrorRate errors_;
    std::vector<IpNetwork> trusted_;
    std::string limit_, strained_limit_;
};

}  // namespace

std::shared_ptr<Middleware> make_adaptive_rate_limit_middleware(const Config& config) {
    const double capacity = config.get_double("capacity", 100);
    const double refill = config.get_double("refill_rate", 10);
    const double min_capacity = config.get_double("min_capacity", std::max(1.0, capacity / 10));
    const double threshold = config.get_double("error_threshold", 0.1);
    const std::int64_t max_entries = config.get_int("max_entries", 100'000);
    if (!(capacity >= 1) || !(refill > 0) || !(min_capacity >= 1) || min_capacity > capacity || !(threshold >= 0) ||
        threshold >= 1 || max_entries < 1)
        throw std::invalid_argument("adaptive rate limit needs capacity >= min_capacity >= 1, refill_rate > 0 and "
                                    "0 <= error_threshold < 1");
    return std::make_shared<AdaptiveRateLimitMiddleware>(capacity, refill, min_capacity, threshold,
                                                         static_cast<std::size_t>(max_entries), trusted_proxies(config));
}

}  // namespace cello::engine
