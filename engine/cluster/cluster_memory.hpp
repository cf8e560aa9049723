// Cluster mode's shared memory as the engine sees it: one block that the supervisor maps before it
// starts any worker (cello's platform layer makes it: an anonymous shared mapping on POSIX, named
// shared memory on Windows) and that every worker process attaches. It holds what must be one for
// the whole server: request metrics (shared_metrics_store.hpp), cache invalidations on their way to
// every worker (invalidation_ring.hpp) and the rate limit's buckets (shared_rate_table.hpp).
//
// Everything in it is reached through std::atomic_ref: processes may die at any instruction, so
// nothing here takes a lock that a dead process could hold. Zeroed memory plus format() is an
// empty cluster.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace cello::engine::cluster {

// Where each part sits, in bytes from the start of the block (each part 64-byte aligned).
struct Layout {
    static constexpr std::size_t kSeries = 2048;        // metric series (method, route, status)
    static constexpr std::size_t kArenaBytes = 256 * 1024;  // their route labels
    static constexpr std::size_t kSeriesInts = 29;      // per series and shard, see shared_metrics_store
    static constexpr std::size_t kCacheLabels = 1024;   // response cache routes and tags with counters
    static constexpr std::size_t kCacheInts = 5;        // hits, misses, stores, evictions, invalidations
    static constexpr std::size_t kRingEntries = 64;     // cache invalidations in flight
    static constexpr std::size_t kRingEntryBytes = 1024;
    static constexpr std::size_t kErrorEntries = 32;    // --inspect: failed requests on their way to the supervisor
    static constexpr std::size_t kErrorEntryBytes = 16384;
    static constexpr std::size_t kRateEntries = 65536;  // rate-limited clients tracked at once
    static constexpr std::size_t kRateEntryInts = 5;
    static constexpr std::size_t kPools = 32;          // database pool labels (engine/metrics/pool_meter)
    static constexpr std::size_t kPoolRowInts = 24;    // >= kPoolInts of pool_meter.hpp

    unsigned cells = 0;    // worker cells (a worker process holds one at a time)
    unsigned threads = 0;  // engine threads per worker
    std::size_t event_capacity = 0;  // per engine thread: the inspector's event ring (0: no inspector)
    std::size_t series_keys = 0, arena = 0, shards = 0, shard_bytes = 0, ring = 0, rates = 0;
    std::size_t cache_keys = 0, cache_counters = 0;  // the counters: cells + 1 rows (the supervisor's last)
    std::size_t pool_keys = 0, pool_rows = 0;        // database pools: cells + 1 rows too
    std::size_t events = 0, event_ring_bytes = 0, errors = 0, total = 0;

    static Layout make(unsigned cells, unsigned threads, std::size_t event_capacity = 0);
};

// The first 64 bytes of the block.
struct Header {
    std::uint64_t magic;
    std::uint32_t cells, threads;
    std::uint64_t event_capacity;
    std::uint64_t arena_used;    // bytes of the label arena handed out
    std::uint64_t series_lost;   // requests not counted because the series table was full
    std::uint64_t ring_head;     // last invalidation sequence number claimed
    std::uint64_t error_head;    // last error record sequence number claimed
};

class ClusterMemory {
public:
    static std::size_t bytes_needed(unsigned cells, unsigned threads, std::size_t event_capacity = 0) {
        return Layout::make(cells, threads, event_capacity).total;
    }
    // Writes the header into zeroed `block` (the supervisor, before any worker starts). Throws
    // std::invalid_argument when the block is too small or not 64-byte aligned.
    static void format(std::span<std::byte> block, unsigned cells, unsigned threads, std::size_t event_capacity = 0);

    // A formatted block; throws std::invalid_argument if it is not one.
    explicit ClusterMemory(std::span<std::byte> block);

    const Layout& layout() const noexcept { return layout_; }
    Header& header() const noexcept { return *reinterpret_cast<Header*>(base_); }
    std::byte* at(std::size_t offset) const noexcept { return base_ + offset; }
    std::uint64_t* ints(std::size_t offset) const noexcept { return reinterpret_cast<std::uint64_t*>(base_ + offset); }

    // A worker process ended: what it was counting right now (requests in progress, its database
    // connections and waiters) ends with it.
    void cell_ended(unsigned cell) const;

    // The inspector's event ring of engine thread `thread` of `cell` (with an event capacity).
    std::span<std::byte> event_ring(unsigned cell, unsigned thread) const;

private:
    std::byte* base_;
    Layout layout_;
};

// Stable across processes and runs (std::hash need not be): FNV-1a, then a splitmix64 finaliser.
std::uint64_t stable_hash(std::string_view bytes, std::uint64_t seed = 0) noexcept;

// Reads a slot's tag, waiting (briefly, bounded) while another process is writing it: returns
// kBusy only when the writer seems to have died mid-write.
inline constexpr std::uint64_t kEmpty = 0, kBusy = 1;
std::uint64_t published_tag(std::uint64_t& tag) noexcept;

}  // namespace cello::engine::cluster
