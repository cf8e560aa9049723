// The circuit breaker (app.enable_circuit_breaker, the original Cello's): per route, after
// `failure_threshold` failures in a row (a status in `failure_codes`) the circuit opens and the route
// is answered 503 at once, without its handler, for `reset_timeout` seconds; then it is half open:
// requests go through as probes, and `half_open_target` successes in a row close it again, one
// failure opens it again. Per process (each cluster worker has its own circuits).
#include "engine/config.hpp"
#include "engine/middleware.hpp"
#include "engine/route_table.hpp"
#include "engine/router.hpp"
#include "engine/status.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace cello::engine {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kRefused = 1;  // Exchange::notes: answered by the breaker, not the route

class CircuitBreakerMiddleware final : public Middleware {
public:
    CircuitBreakerMiddleware(std::int64_t threshold, std::chrono::milliseconds reset, std::int64_t half_open_target,
                             std::vector<int> failure_codes)
        : threshold_(threshold), reset_(reset), target_(half_open_target), codes_(std::move(failure_codes)) {}

    bool before(Exchange& ex) override {
        if (!ex.route || watched_.load(std::memory_order_relaxed) == 0) return false;  // all circuits closed
        std::chrono::milliseconds left{};
        {
            std::lock_guard lock(mutex_);
            const auto it = circuits_.find(key(*ex.route));
            if (it == circuits_.end() || it->second.state != State::Open) return false;
            const auto now = Clock::now();
            if (now >= it->second.opened + reset_) {  // time to try again: probes go through
                it->second.state = State::HalfOpen;
                it->second.successes = 0;
                return false;
            }
            left = std::chrono::duration_cast<std::chrono::milliseconds>(it->second.opened + reset_ - now);
        }
        make_error(ex.res, 503, "the circuit of this route is open after repeated failures; try again later");
        ex.res.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(1, (left.count() + 999) / 1000)));
        ex.notes.set(this, kRefused);
        return true;
    }

    void complete(const Completion& c, unsigned) override {
        // Only answers of the route's handler say how it fares: not the breaker's own refusals, not
        // cache hits, not a rate limit's 429.
        if (!c.route || c.notes.get(this) == kRefused || c.cache == CacheOutcome::Hit || c.status == 429) return;
        const bool failed = std::find(codes_.begin(), codes_.end(), c.status) != codes_.end();
        if (!failed && watched_.load(std::memory_order_relaxed) == 0) return;  // nothing to reset
        std::lock_guard lock(mutex_);
        if (failed) {
            Circuit& circuit = circuits_[key(*c.route)];
            ++circuit.failures;
            if (circuit.state == State::HalfOpen || circuit.failures >= threshold_) {
                circuit.state = State::Open;
                circuit.opened = Clock::now();
                circuit.failures = 0;
            }
        } else if (const auto it = circuits_.find(key(*c.route)); it != circuits_.end()) {
            Circuit& circuit = it->second;
            circuit.failures = 0;
            if (circuit.state == State::HalfOpen && ++circuit.successes >= target_) circuit.state = State::Closed;
            if (circuit.state == State::Closed) circuits_.erase(it);  // healthy again: forgotten
        }
        watched_.store(circuits_.size(), std::memory_order_relaxed);
    }

private:
    enum class State { Closed, Open, HalfOpen };
    struct Circuit {
        State state = State::Closed;
        std::int64_t failures = 0, successes = 0;
        Clock::time_point opened{};
    };

    // A route by its method and template: the same circuit across reloads of the route table.
    static std::string key(const Route& r) { return std::string(method_name(r.method)) + ' ' + r.pattern; }

    std::int64_t threshold_;
    std::chrono::milliseconds reset_;
    std::int64_t target_;
    std::vector<int> codes_;
    std::mutex mutex_;
    // Only routes with failures or an open circuit are kept: while there are none (watched_ == 0),
    // a request pays one relaxed load in before() and one in complete().
    std::unordered_map<std::string, Circuit> circuits_;
    std::atomic<std::size_t> watched_{0};
};

}  // namespace

std::shared_ptr<Middleware> make_circuit_breaker_middleware(const Config& config) {
    const std::int64_t threshold = config.get_int("failure_threshold", 5);
    const double reset_s = config.get_double("reset_timeout", 30);
    const std::int64_t target = config.get_int("half_open_target", 3);
    if (threshold < 1 || target < 1 || !(reset_s > 0))
        throw std::invalid_argument("circuit breaker: failure_threshold and half_open_target must be >= 1 and "
                                    "reset_timeout positive");
    std::vector<int> codes;
    for (const auto& text : config.get_strings("failure_codes", {"500", "502", "503", "504"})) {
        int code = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
        if (ec != std::errc{} || end != text.data() + text.size() || code < 100 || code > 599)
            throw std::invalid_argument("circuit breaker: '" + text + "' is not an HTTP status code");
        codes.push_back(code);
    }
    return std::make_shared<CircuitBreakerMiddleware>(
        threshold, std::chrono::milliseconds(static_cast<std::int64_t>(reset_s * 1000)), target, std::move(codes));
}

}  // namespace cello::engine
