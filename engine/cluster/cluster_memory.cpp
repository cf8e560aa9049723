#include "engine/cluster/cluster_memory.hpp"

#include "engine/metrics/pool_meter.hpp"
#include "engine/telemetry/event_ring.hpp"

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

namespace cello::engine::cluster {

namespace {

constexpr std::uint64_t kMagic = 0x43454c4c4f434c31ULL;  // "CELLOCL1"

constexpr std::size_t align64(std::size_t n) noexcept { return (n + 63) & ~std::size_t{63}; }

}  // namespace

Layout Layout::make(unsigned cells, unsigned threads, std::size_t event_capacity) {
    if (cells == 0 || threads == 0) throw std::invalid_argument("cluster memory needs at least one cell and thread");
    Layout l;
    l.cells = cells;
    l.threads = threads;
    std::size_t at = align64(sizeof(Header));
    l.series_keys = at;
    at += align64(kSeries * 4 * sizeof(std::uint64_t));
    l.arena = at;
    at += kArenaBytes;
    l.shards = at;
    // One shard per engine thread of each cell: an in-progress gauge on its own line, then counters.
    l.shard_bytes = 64 + align64(kSeries * kSeriesInts * sizeof(std::uint64_t));
    at += l.shard_bytes * cells * threads;
    l.cache_keys = at;
    at += align64(kCacheLabels * 4 * sizeof(std::uint64_t));
    l.cache_counters = at;
    at += align64((cells + 1) * kCacheLabels * kCacheInts * sizeof(std::uint64_t));
    l.pool_keys = at;
    at += align64(kPools * 4 * sizeof(std::uint64_t));
    l.pool_rows = at;
    at += align64((cells + 1) * kPools * kPoolRowInts * sizeof(std::uint64_t));
    l.ring = at;
    at += kRingEntries * kRingEntryBytes;
    l.rates = at;
    at += align64(kRateEntries * kRateEntryInts * sizeof(std::uint64_t));
    l.events = at;
    if (event_capacity) {
        l.event_capacity = event_capacity;
        l.event_ring_bytes = align64(EventRing::bytes_for(event_capacity));
        at += l.event_ring_bytes * cells * threads;
        l.errors = at;
        at += kErrorEntries * kErrorEntryBytes;
    }
    l.total = at;
    return l;
}

void ClusterMemory::format(std::span<std::byte> block, unsigned cells, unsigned threads, std::size_t event_capacity) {
    const Layout l = Layout::make(cells, threads, event_capacity);
    if (block.size() < l.total || reinterpret_cast<std::uintptr_t>(block.data()) % 64 != 0)
        throw std::invalid_argument("cluster memory: needs " + std::to_string(l.total) + " bytes, 64-byte aligned");
    auto& h = *reinterpret_cast<Header*>(block.data());
    h.cells = cells;
    h.threads = threads;
    h.event_capacity = event_capacity;
    std::atomic_ref<std::uint64_t>(h.magic).store(kMagic, std::memory_order_release);
}

ClusterMemory::ClusterMemory(std::span<std::byte> block) : base_(block.data()) {
    if (block.size() < sizeof(Header) || reinterpret_cast<std::uintptr_t>(block.data()) % 64 != 0)
        throw std::invalid_argument("cluster memory: not a formatted block");
    const auto& h = *reinterpret_cast<Header*>(block.data());
    if (std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(h.magic)).load(std::memory_order_acquire) != kMagic)
        throw std::invalid_argument("cluster memory: not a formatted block");
    layout_ = Layout::make(h.cells, h.threads, h.event_capacity);
    if (block.size() < layout_.total) throw std::invalid_argument("cluster memory: block smaller than its layout");
}

void ClusterMemory::cell_ended(unsigned cell) const {
    if (cell >= layout_.cells) return;
    for (unsigned t = 0; t < layout_.threads; ++t) {
        auto* gauge = ints(layout_.shards + (static_cast<std::size_t>(cell) * layout_.threads + t) * layout_.shard_bytes);
        std::atomic_ref<std::uint64_t>(*gauge).store(0, std::memory_order_relaxed);
    }
    for (std::size_t pool = 0; pool < Layout::kPools; ++pool) {
        std::uint64_t* row = ints(layout_.pool_rows) + (static_cast<std::size_t>(cell) * Layout::kPools + pool) * Layout::kPoolRowInts;
        for (std::size_t i = 0; i < kPoolGauges; ++i) std::atomic_ref<std::uint64_t>(row[i]).store(0, std::memory_order_relaxed);
    }
}

std::span<std::byte> ClusterMemory::event_ring(unsigned cell, unsigned thread) const {
    if (!layout_.event_capacity || cell >= layout_.cells || thread >= layout_.threads) return {};
    const std::size_t index = static_cast<std::size_t>(cell) * layout_.threads + thread;
    return {at(layout_.events + index * layout_.event_ring_bytes), layout_.event_ring_bytes};
}

std::uint64_t stable_hash(std::string_view bytes, std::uint64_t seed) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

std::uint64_t published_tag(std::uint64_t& tag) noexcept {
    std::atomic_ref<std::uint64_t> ref(tag);
    // A writer holds a slot busy for a few stores; a million looks (with yields) is far longer
    // than that even on a loaded machine, and short enough not to hang on a writer that died.
    for (int i = 0; i < 1'000'000; ++i) {
        const std::uint64_t v = ref.load(std::memory_order_acquire);
        if (v != kBusy) return v;
        if (i % 64 == 63) std::this_thread::yield();
    }
    return kBusy;
}

}  // namespace cello::engine::cluster
