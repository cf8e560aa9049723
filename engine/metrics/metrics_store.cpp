#include "engine/metrics/metrics_store.hpp"

#include "engine/route_table.hpp"

#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace cello::engine {

namespace {

template <std::size_t N>
constexpr std::array<std::uint64_t, N> scaled(const std::array<double, N>& bounds, double factor) {
    std::array<std::uint64_t, N> out{};
    for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<std::uint64_t>(bounds[i] * factor + 0.5);
    return out;
}

// The bounds in the units recorded, so the hot path compares integers.
constexpr auto kDurationBoundsNs = scaled(kDurationBuckets, 1e9);
constexpr auto kSizeBounds = scaled(kSizeBuckets, 1.0);
static_assert(kDurationBoundsNs[0] == 500'000 && kDurationBoundsNs[13] == 10'000'000'000ULL);

// A fast index that outgrows this is cleared: it only grows past it when route tables are swapped
// many times (each swap brings new Route addresses), and it is rebuilt on demand.
constexpr std::size_t kMaxIndexEntries = 4096;

// Bucket index of `value` for ascending `bounds` (le semantics: value <= bound); N for +Inf.
template <std::size_t N>
constexpr std::size_t bucket_index(const std::array<std::uint64_t, N>& bounds, std::uint64_t value) noexcept {
    std::size_t i = 0;
    while (i < N && value > bounds[i]) ++i;
    return i;
}

// Orders (route, method) keys by route, then method; transparent, so a lookup by string_view
// allocates nothing.
struct SeriesKeyLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
        const std::string_view ra(a.first), rb(b.first);
        return ra != rb ? ra < rb : a.second < b.second;
    }
};

using SeriesKey = std::pair<std::string, std::uint8_t>;

}  // namespace

std::string_view metric_method_label(std::uint8_t method) noexcept {
    // Unknown methods share one label: the method string is client input and must not create series.
    return method < kMethodCount ? method_name(static_cast<Method>(method)) : std::string_view("OTHER");
}

std::size_t duration_bucket(std::uint64_t ns) noexcept { return bucket_index(kDurationBoundsNs, ns); }
std::size_t size_bucket(std::uint64_t bytes) noexcept { return bucket_index(kSizeBounds, bytes); }

// Cache-line aligned: neighbouring shards belong to different threads.
struct alignas(64) MetricsStore::Shard {
    struct Series {
        std::uint8_t method = 0;
        std::string route;
        std::map<int, std::uint64_t> by_status;  // node-based: the index keeps pointers into it
        HistogramCounts<kDurationBuckets.size()> duration_ns;
        HistogramCounts<kSizeBuckets.size()> size_bytes;
    };
    using FastKey = RouteStatusKey;
    struct Slot {
        Series* series;
        std::uint64_t* count;
    };

    // Taken by the owning thread for each record (uncontended) and by a scrape while it copies.
    std::mutex mutex;
    std::atomic<std::int64_t> in_progress{0};
    // The stored series, keyed by label strings (route, method): they outlive any route table.
    std::map<SeriesKey, Series, SeriesKeyLess> series;
    std::unordered_map<FastKey, Slot, RouteStatusHash> index;

    Slot& bind(const FastKey& key, std::string_view route_label) {
        auto it = series.find(std::pair<std::string_view, std::uint8_t>(route_label, key.method));
        if (it == series.end()) {
            SeriesKey labels(std::string(route_label), key.method);
            it = series.emplace(labels, Series{key.method, labels.first, {}, {}, {}}).first;
        }
        if (index.size() >= kMaxIndexEntries) index.clear();
        Series& s = it->second;
        return index.insert_or_assign(key, Slot{&s, &s.by_status[key.status]}).first->second;
    }
};

MetricsStore::~MetricsStore() {
    for (auto& s : shards_) delete s.load(std::memory_order_acquire);
}

MetricsStore::Shard& MetricsStore::shard(unsigned thread) {
    std::atomic<Shard*>& slot = shards_[thread % kMaxShards];
    Shard* s = slot.load(std::memory_order_acquire);
    if (s) return *s;
    auto fresh = std::make_unique<Shard>();
    if (slot.compare_exchange_strong(s, fresh.get(), std::memory_order_acq_rel, std::memory_order_acquire))
        return *fresh.release();
    return *s;  // another thread made it first
}

void MetricsStore::prepare(unsigned threads) {
    for (unsigned t = 0; t < threads && t < kMaxShards; ++t) shard(t);
}

void MetricsStore::record(unsigned thread, const Route* route, std::uint8_t method, int status, std::size_t bytes,
                          std::chrono::nanoseconds latency) {
    const std::string_view label = route ? std::string_view(route->pattern) : kUnmatchedRouteLabel;
    const Shard::FastKey key{route, method, status};
    const auto ns = static_cast<std::uint64_t>(latency.count() > 0 ? latency.count() : 0);
    Shard& sh = shard(thread);
    std::lock_guard lock(sh.mutex);
    auto it = sh.index.find(key);
    Shard::Slot& slot = (it != sh.index.end() && it->second.series->route == label) ? it->second : sh.bind(key, label);
    ++*slot.count;
    Shard::Series& s = *slot.series;
    ++s.duration_ns.counts[duration_bucket(ns)];
    s.duration_ns.sum += ns;
    ++s.size_bytes.counts[size_bucket(bytes)];
    s.size_bytes.sum += bytes;
}

void MetricsStore::enter(unsigned thread) { shard(thread).in_progress.fetch_add(1, std::memory_order_relaxed); }

void MetricsStore::leave(unsigned thread) {
    std::atomic<std::int64_t>& n = shard(thread).in_progress;
    std::int64_t v = n.load(std::memory_order_relaxed);
    while (v > 0 && !n.compare_exchange_weak(v, v - 1, std::memory_order_relaxed)) {
    }
}

MetricsSnapshot MetricsStore::snapshot() const {
    std::map<SeriesKey, RouteSeriesSnapshot, SeriesKeyLess> merged;
    MetricsSnapshot out;
    for (const auto& slot : shards_) {
        Shard* sh = slot.load(std::memory_order_acquire);
        if (!sh) continue;
        out.in_progress += sh->in_progress.load(std::memory_order_relaxed);
        std::lock_guard lock(sh->mutex);
        for (const auto& [labels, s] : sh->series) {
            auto [it, fresh] = merged.try_emplace(labels);
            RouteSeriesSnapshot& m = it->second;
            if (fresh) {
                m.method = metric_method_label(s.method);
                m.route = s.route;
            }
            for (const auto& [status, n] : s.by_status) m.requests_by_status[status] += n;
            m.duration_ns.add(s.duration_ns);
            m.size_bytes.add(s.size_bytes);
        }
    }
    out.series.reserve(merged.size());
    for (auto& [labels, s] : merged) out.series.push_back(std::move(s));
    return out;
}

}  // namespace cello::engine
