// Request metrics for a whole cluster: every worker process records into the shared block, and a
// scrape answered by any worker reads the sum of all of them.
//
// The block holds a table of series keys (method, route label, status; the labels in an arena)
// that any process may add to without a lock, and one shard of counters per engine thread of each
// worker cell, written only by that thread (no atomic read-modify-write on the hot path, no cache
// line shared between cores). A cell's counters outlive its worker: the next worker in that cell
// counts on from them, so the sums never go down.
#pragma once

#include "engine/cluster/cluster_link.hpp"
#include "engine/cluster/shared_key_table.hpp"
#include "engine/metrics/metrics_store.hpp"

#include <memory>
#include <unordered_map>
#include <vector>

namespace cello::engine::cluster {

class SharedMetricsStore final : public RequestMetrics {
public:
    // `store`: which metrics family set this is (namespace + subsystem), so that two differently
    // named stores do not count into each other.
    SharedMetricsStore(std::shared_ptr<ClusterLink> link, std::uint64_t store);

    void prepare(unsigned threads) override;
    void record(unsigned thread, const Route* route, std::uint8_t method, int status, std::size_t bytes,
                std::chrono::nanoseconds latency) override;
    void enter(unsigned thread) override;
    void leave(unsigned thread) override;
    MetricsSnapshot snapshot() const override;

    // Series the table could not take (it holds Layout::kSeries): their requests are not counted.
    std::uint64_t lost() const;

private:
    // Per engine thread of this process: route address -> series, checked against the label.
    using ThreadIndex = std::unordered_map<RouteStatusKey, std::uint32_t, RouteStatusHash>;

    std::uint64_t* shard(unsigned cell, unsigned thread) const;

    std::shared_ptr<ClusterLink> link_;
    const ClusterMemory& memory_;
    SharedKeyTable keys_;  // the series: (store, method | status << 8, route label)
    std::uint64_t store_;
    std::vector<ThreadIndex> index_;  // one per engine thread of the cell
};

}  // namespace cello::engine::cluster
