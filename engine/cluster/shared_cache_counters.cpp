#include "engine/cluster/shared_cache_counters.hpp"

#include <algorithm>
#include <atomic>
#include <new>

namespace cello::engine::cluster {

namespace {

constexpr std::uint64_t kRouteScope = 0x726f757465;  // "route"
constexpr std::uint64_t kTagScope = 0x746167;        // "tag"

std::uint64_t load(const std::uint64_t& v) {
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(v)).load(std::memory_order_relaxed);
}

}  // namespace

SharedCacheCounters::SharedCacheCounters(const ClusterMemory& memory, unsigned cell, std::shared_ptr<void> keep_alive)
    : memory_(memory),
      cell_(cell),
      keep_alive_(std::move(keep_alive)),
      keys_(memory_, memory_.layout().cache_keys, Layout::kCacheLabels) {}

std::uint64_t* SharedCacheCounters::row(unsigned cell, std::uint32_t index) const {
    const std::size_t at = (static_cast<std::size_t>(cell) * Layout::kCacheLabels + index) * Layout::kCacheInts;
    return memory_.ints(memory_.layout().cache_counters) + at;
}

std::shared_ptr<CacheCounters> SharedCacheCounters::counters(bool tag, const std::string& label) {
    const std::uint32_t index = keys_.find_or_add(tag ? kTagScope : kRouteScope, 0, label);
    if (index == keys_.none()) return std::make_shared<CacheCounters>();
    // Zeroed (or counted into by this cell's earlier workers) memory holding five lock-free atomics.
    auto* counters = std::launder(reinterpret_cast<CacheCounters*>(row(cell_, index)));
    return std::shared_ptr<CacheCounters>(keep_alive_, counters);
}

std::vector<CacheStat> SharedCacheCounters::stats(bool tag) const {
    std::vector<CacheStat> out;
    keys_.for_each(tag ? kTagScope : kRouteScope, [&](std::uint32_t index, std::uint64_t, std::string_view label) {
        CacheStat s{std::string(label), 0, 0, 0, 0, 0};
        for (unsigned cell = 0; cell <= memory_.layout().cells; ++cell) {
            const std::uint64_t* c = row(cell, index);
            s.hits += load(c[0]);
            s.misses += load(c[1]);
            s.stores += load(c[2]);
            s.evictions += load(c[3]);
            s.invalidations += load(c[4]);
        }
        out.push_back(std::move(s));
    });
    std::sort(out.begin(), out.end(), [](const CacheStat& a, const CacheStat& b) { return a.label < b.label; });
    return out;
}

}  // namespace cello::engine::cluster
