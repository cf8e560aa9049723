// Messages from any process of a cluster to the others: a ring of fixed-size entries in the shared
// block, each claimed with one atomic increment and written seqlock-style, so that a reader never
// acts on a half-written entry. Every reader keeps its own cursor. A reader that fell a lap behind,
// or that meets an entry whose writer died before finishing it, is told that messages were lost.
// Used for cache invalidations (invalidation_ring.hpp) and for the inspector's error records.
#pragma once

#include "engine/cluster/cluster_memory.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cello::engine::cluster {

class MessageRing {
public:
    struct Message {
        bool lost = false;  // some messages were lost here (nothing else is set)
        unsigned origin = 0;
        std::string bytes;
    };

    // `entries` entries of `entry_bytes` (a multiple of 8) at `offset`; `head` is the ring's
    // counter in the block's header. `origin`: this process's cell, told to readers. A new reader
    // starts at the present: it does not replay what was sent before it came.
    MessageRing(const ClusterMemory& memory, std::size_t offset, std::uint64_t& head, std::size_t entries,
                std::size_t entry_bytes, unsigned origin);

    std::size_t max_bytes() const noexcept { return (words_ - 2) * sizeof(std::uint64_t); }
    // Any thread. False (nothing sent) when `payload` is longer than max_bytes().
    bool publish(std::string_view payload);
    // What arrived since the last call, oldest first; this process's own messages included. One
    // thread only.
    std::vector<Message> poll();

    static constexpr int kMaxStalledPolls = 50;  // an entry claimed but unwritten this many polls: its writer died

private:
    std::uint64_t* entry(std::uint64_t seq) const noexcept;

    const ClusterMemory& memory_;
    std::size_t offset_;
    std::uint64_t& head_;
    std::size_t entries_;
    std::size_t words_;
    unsigned origin_;
    std::uint64_t cursor_;  // the last sequence number consumed
    int stalled_ = 0;
};

}  // namespace cello::engine::cluster
