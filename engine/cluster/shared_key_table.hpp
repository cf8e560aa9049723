// Names every worker of a cluster agrees on: (scope, code, label) -> a small index into counters
// that each worker cell keeps for itself. Any process may add a key, without a lock: a slot is
// claimed with a compare-and-swap, filled, then published; its label goes into the block's arena.
// Keys are never removed. Used for request metric series and for the response cache's counters.
#pragma once

#include "engine/cluster/cluster_memory.hpp"

#include <cstdint>
#include <string_view>

namespace cello::engine::cluster {

class SharedKeyTable {
public:
    // `capacity` keys of kKeyBytes at `offset` in `memory`.
    SharedKeyTable(const ClusterMemory& memory, std::size_t offset, std::size_t capacity)
        : memory_(memory), offset_(offset), capacity_(capacity) {}

    static constexpr std::size_t kKeyBytes = 4 * sizeof(std::uint64_t);
    static constexpr std::size_t kMaxLabel = 4096;  // longer labels are cut
    std::uint32_t none() const noexcept { return static_cast<std::uint32_t>(capacity_); }

    // The key's index, added if new; none() when the table or the arena is full.
    std::uint32_t find_or_add(std::uint64_t scope, std::uint64_t code, std::string_view label) const;
    std::string_view label(std::uint32_t index) const;

    // f(index, code, label) for every key of `scope`.
    template <class F>
    void for_each(std::uint64_t scope, F&& f) const {
        for (std::uint32_t i = 0; i < capacity_; ++i) {
            const std::uint64_t* k = key(i);
            if (!published(i) || load(k[1]) != scope) continue;
            f(i, load(k[2]), label(i));
        }
    }

private:
    std::uint64_t* key(std::uint32_t i) const noexcept { return memory_.ints(offset_ + i * kKeyBytes); }
    bool published(std::uint32_t i) const noexcept;
    static std::uint64_t load(const std::uint64_t& v) noexcept;

    const ClusterMemory& memory_;
    std::size_t offset_;
    std::size_t capacity_;
};

}  // namespace cello::engine::cluster
