// Cache invalidations on their way to every worker: a ring of the last 64 in the cluster's shared
// memory. A worker that invalidates publishes (tags and/or path); every other worker polls the
// ring and drops the same entries from its own cache. Entries are written seqlock-style, so a
// reader never acts on a half-written one; a reader that fell a lap behind (or met an entry whose
// writer died mid-write) clears its whole cache instead, which is always safe for a cache.
#pragma once

#include "engine/cluster/cluster_memory.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cello::engine::cluster {

struct Invalidation {
    bool everything = false;  // drop the whole cache (what could not be told exactly)
    std::vector<std::string> tags;
    std::optional<std::string> path;
};

class InvalidationRing {
public:
    // `origin`: this process's cell, so that it skips its own invalidations (already applied).
    InvalidationRing(const ClusterMemory& memory, unsigned origin);

    // Any thread. Too much to fit an entry (about 1000 bytes of tags and path) goes out as
    // `everything`.
    void publish(const std::vector<std::string>& tags, std::optional<std::string_view> path);

    // Other workers' invalidations published since the last call. One thread only (the poller).
    std::vector<Invalidation> poll();

    static constexpr int kMaxStalledPolls = 50;  // an entry claimed but unwritten this many polls: its writer died

private:
    std::uint64_t* entry(std::uint64_t seq) const noexcept;

    const ClusterMemory& memory_;
    unsigned origin_;
    std::uint64_t cursor_;  // the last sequence number consumed
    int stalled_ = 0;
};

}  // namespace cello::engine::cluster
