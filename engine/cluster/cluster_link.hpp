// A worker process's membership in a cluster: the shared block (cluster_memory.hpp), which cell of
// it this process holds, and the thread that applies other workers' cache invalidations here.
// A worker joins before it builds its middleware, so that the metrics and rate-limit middleware
// made afterwards count and limit for the whole server (they look at ClusterLink::current()).
#pragma once

#include "engine/cluster/cluster_memory.hpp"
#include "engine/cluster/invalidation_ring.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "engine/telemetry/telemetry.hpp"

namespace cello::engine {
class ResponseCache;
}

namespace cello::engine::cluster {

class ClusterLink : public std::enable_shared_from_this<ClusterLink> {
public:
    // `block` is a formatted ClusterMemory that `keep_alive` keeps mapped; `cell` is this worker's,
    // or the number of cells for the supervisor (which serves nothing, but may invalidate and inspect).
    ClusterLink(std::span<std::byte> block, unsigned cell, std::shared_ptr<void> keep_alive);
    ~ClusterLink();
    ClusterLink(const ClusterLink&) = delete;
    ClusterLink& operator=(const ClusterLink&) = delete;

    const ClusterMemory& memory() const noexcept { return memory_; }
    unsigned cell() const noexcept { return cell_; }
    unsigned threads() const noexcept { return memory_.layout().threads; }
    bool is_supervisor() const noexcept { return cell_ == memory_.layout().cells; }

    // The inspector's telemetry (when the block has event rings, else null): a worker's engine
    // threads push into its cell's rings; the supervisor's drains every cell's (ring i: cell
    // i / threads, engine thread i % threads).
    std::shared_ptr<Telemetry> telemetry(Redaction redaction) const;

    // Invalidations of `cache` go out to every worker, and theirs are applied to it within the
    // poll interval (20 ms). The cache is held weakly.
    void watch(const std::shared_ptr<ResponseCache>& cache);

    // The process's cluster, if it serves in one.
    static void join(std::shared_ptr<ClusterLink> link);
    static std::shared_ptr<ClusterLink> current();

    static constexpr auto kPollInterval = std::chrono::milliseconds(20);

private:
    void poll_loop();
    void apply(const Invalidation& inv);

    std::shared_ptr<void> keep_alive_;
    ClusterMemory memory_;
    unsigned cell_;
    InvalidationRing ring_;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::vector<std::weak_ptr<ResponseCache>> caches_;
    std::thread poller_;
};

}  // namespace cello::engine::cluster
