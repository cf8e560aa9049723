// The response cache's counters for a whole cluster: each worker counts its hits, misses, stores,
// evictions and invalidations in its own row of the shared block, and a cache's route_stats() /
// tag_stats() add up every row, so /metrics and the inspector show the server's numbers whichever
// worker (or the supervisor) reads them. The cache itself (its entries, bytes) stays per worker.
#pragma once

#include "engine/cache/response_cache.hpp"
#include "engine/cluster/shared_key_table.hpp"

#include <memory>

namespace cello::engine::cluster {

class SharedCacheCounters final : public CacheCounterStore {
public:
    // `cell`: this process's row (the supervisor: the number of cells). `keep_alive` keeps the
    // block mapped while any counters handed out live.
    SharedCacheCounters(const ClusterMemory& memory, unsigned cell, std::shared_ptr<void> keep_alive);

    // Counters that belong to no shared label (the table of 1024 is full) are this process's alone.
    std::shared_ptr<CacheCounters> counters(bool tag, const std::string& label) override;
    std::vector<CacheStat> stats(bool tag) const override;

private:
    std::uint64_t* row(unsigned cell, std::uint32_t index) const;

    ClusterMemory memory_;
    unsigned cell_;
    std::shared_ptr<void> keep_alive_;
    SharedKeyTable keys_;
};

}  // namespace cello::engine::cluster
