#include "engine/cluster/shared_metrics_store.hpp"

#include "engine/route_table.hpp"

#include <atomic>
#include <cstring>
#include <map>

namespace cello::engine::cluster {

namespace {

// A series' counters in a shard: requests, the duration histogram (buckets, then the sum in ns),
// the size histogram (buckets, then the sum in bytes).
constexpr std::size_t kCount = 0;
constexpr std::size_t kDuration = 1;
constexpr std::size_t kDurationSum = kDuration + kDurationBuckets.size() + 1;
constexpr std::size_t kSize = kDurationSum + 1;
constexpr std::size_t kSizeSum = kSize + kSizeBuckets.size() + 1;
static_assert(kSizeSum + 1 == Layout::kSeriesInts);

std::uint64_t load(const std::uint64_t& v) {
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(v)).load(std::memory_order_relaxed);
}

// Only the owning thread writes a shard: a plain load and store, atomic only so that a reader in
// another process never sees a torn value.
void bump(std::uint64_t& v, std::uint64_t by) {
    std::atomic_ref<std::uint64_t>(v).store(load(v) + by, std::memory_order_relaxed);
}

}  // namespace

SharedMetricsStore::SharedMetricsStore(std::shared_ptr<ClusterLink> link, std::uint64_t store)
    : link_(std::move(link)),
      memory_(link_->memory()),
      keys_(memory_, memory_.layout().series_keys, Layout::kSeries),
      store_(store),
      index_(link_->threads()) {}

namespace {

std::uint64_t series_code(std::uint8_t method, int status) {
    return method | (static_cast<std::uint64_t>(static_cast<std::uint16_t>(status)) << 8);
}

}  // namespace

void SharedMetricsStore::prepare(unsigned) {}

std::uint64_t* SharedMetricsStore::shard(unsigned cell, unsigned thread) const {
    const Layout& l = memory_.layout();
    return memory_.ints(l.shards + (static_cast<std::size_t>(cell) * l.threads + thread % l.threads) * l.shard_bytes);
}

void SharedMetricsStore::record(unsigned thread, const Route* route, std::uint8_t method, int status,
                                std::size_t bytes, std::chrono::nanoseconds latency) {
    const std::string_view label_text = route ? std::string_view(route->pattern) : kUnmatchedRouteLabel;
    ThreadIndex& index = index_[thread % index_.size()];
    const RouteStatusKey key{route, method, status};
    std::uint32_t series;
    auto it = index.find(key);
    if (it != index.end() && keys_.label(it->second) == label_text) {
        series = it->second;
    } else {
        series = keys_.find_or_add(store_, series_code(method, status), label_text);
        if (series == keys_.none()) {
            std::atomic_ref<std::uint64_t>(memory_.header().series_lost).fetch_add(1, std::memory_order_relaxed);
            return;
        }
        if (index.size() >= 4096) index.clear();  // route tables swapped many times: rebuilt on demand
        index.insert_or_assign(key, series);
    }
    const auto ns = static_cast<std::uint64_t>(latency.count() > 0 ? latency.count() : 0);
    std::uint64_t* c = shard(link_->cell(), thread) + 8 + series * Layout::kSeriesInts;  // 8: the gauge's line
    bump(c[kCount], 1);
    bump(c[kDuration + duration_bucket(ns)], 1);
    bump(c[kDurationSum], ns);
    bump(c[kSize + size_bucket(bytes)], 1);
    bump(c[kSizeSum], bytes);
}

void SharedMetricsStore::enter(unsigned thread) { bump(*shard(link_->cell(), thread), 1); }

void SharedMetricsStore::leave(unsigned thread) {
    std::uint64_t& gauge = *shard(link_->cell(), thread);
    if (const std::uint64_t v = load(gauge)) std::atomic_ref<std::uint64_t>(gauge).store(v - 1, std::memory_order_relaxed);
}

std::uint64_t SharedMetricsStore::lost() const { return load(memory_.header().series_lost); }

MetricsSnapshot SharedMetricsStore::snapshot() const {
    const Layout& l = memory_.layout();
    MetricsSnapshot out;
    for (unsigned cell = 0; cell < l.cells; ++cell)
        for (unsigned t = 0; t < l.threads; ++t) out.in_progress += static_cast<std::int64_t>(load(*shard(cell, t)));

    // (route, method) -> series, sorted as MetricsStore sorts them.
    std::map<std::pair<std::string, std::uint8_t>, RouteSeriesSnapshot> merged;
    keys_.for_each(store_, [&](std::uint32_t i, std::uint64_t code, std::string_view route) {
        const auto method = static_cast<std::uint8_t>(code & 0xFF);
        const auto status = static_cast<int>(static_cast<std::uint16_t>(code >> 8));
        auto [it, fresh] = merged.try_emplace({std::string(route), method});
        RouteSeriesSnapshot& s = it->second;
        if (fresh) {
            s.method = metric_method_label(method);
            s.route = it->first.first;
        }
        std::uint64_t requests = 0;
        for (unsigned cell = 0; cell < l.cells; ++cell) {
            for (unsigned t = 0; t < l.threads; ++t) {
                const std::uint64_t* c = shard(cell, t) + 8 + i * Layout::kSeriesInts;
                requests += load(c[kCount]);
                for (std::size_t b = 0; b < s.duration_ns.counts.size(); ++b) s.duration_ns.counts[b] += load(c[kDuration + b]);
                s.duration_ns.sum += load(c[kDurationSum]);
                for (std::size_t b = 0; b < s.size_bytes.counts.size(); ++b) s.size_bytes.counts[b] += load(c[kSize + b]);
                s.size_bytes.sum += load(c[kSizeSum]);
            }
        }
        if (requests) s.requests_by_status[status] += requests;
    });
    for (auto& [labels, s] : merged)
        if (!s.requests_by_status.empty()) out.series.push_back(std::move(s));
    return out;
}

}  // namespace cello::engine::cluster
