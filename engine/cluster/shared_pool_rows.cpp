#include "engine/cluster/shared_pool_rows.hpp"

#include "engine/cluster/shared_key_table.hpp"

namespace cello::engine::cluster {

namespace {
static_assert(kPoolInts <= Layout::kPoolRowInts, "a pool's row does not fit its slot");
constexpr std::uint64_t kPoolScope = 0x706f6f6c;  // "pool"

SharedKeyTable keys(const ClusterMemory& memory) { return {memory, memory.layout().pool_keys, Layout::kPools}; }

std::uint64_t* row(const ClusterMemory& memory, unsigned cell, std::uint32_t index) {
    return memory.ints(memory.layout().pool_rows) + (static_cast<std::size_t>(cell) * Layout::kPools + index) * Layout::kPoolRowInts;
}
}  // namespace

std::uint64_t* pool_row(const ClusterLink& link, std::string_view label) {
    const auto table = keys(link.memory());
    const std::uint32_t index = table.find_or_add(kPoolScope, 0, label);
    return index == table.none() ? nullptr : row(link.memory(), link.cell(), index);
}

std::vector<PoolFigures> pool_figures(const ClusterLink& link) {
    const ClusterMemory& memory = link.memory();
    std::vector<PoolFigures> out;
    keys(memory).for_each(kPoolScope, [&](std::uint32_t index, std::uint64_t, std::string_view label) {
        PoolFigures& f = out.emplace_back();
        f.pool = std::string(label);
        for (unsigned cell = 0; cell <= memory.layout().cells; ++cell) add_pool_row(f, row(memory, cell, index));
    });
    return out;
}

}  // namespace cello::engine::cluster
