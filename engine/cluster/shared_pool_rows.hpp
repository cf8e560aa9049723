// Database pools' figures for a whole cluster: each process counts into its own cell's row for a
// pool label (engine/metrics/pool_meter.hpp), and a scrape in any worker adds every cell's rows up.
// A worker that ends takes its connections and waiters with it (ClusterMemory::cell_ended); its
// statements stay counted, and the cell's next worker counts on from there.
#pragma once

#include "engine/cluster/cluster_link.hpp"
#include "engine/metrics/pool_meter.hpp"

#include <string_view>
#include <vector>

namespace cello::engine::cluster {

// This process's row for `label`; null when the cluster's table of pool labels is full.
std::uint64_t* pool_row(const ClusterLink& link, std::string_view label);
// Every label's figures, summed over the cells.
std::vector<PoolFigures> pool_figures(const ClusterLink& link);

}  // namespace cello::engine::cluster
