#include "engine/cluster/cluster_link.hpp"

#include "engine/metrics/pool_meter.hpp"

#include "engine/cache/response_cache.hpp"
#include "engine/cluster/error_ring.hpp"
#include "engine/cluster/shared_cache_counters.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace cello::engine::cluster {

namespace {

std::mutex g_current_mutex;
std::shared_ptr<ClusterLink> g_current;

}  // namespace

ClusterLink::ClusterLink(std::span<std::byte> block, unsigned cell, std::shared_ptr<void> keep_alive)
    : keep_alive_(std::move(keep_alive)), memory_(block), cell_(cell), ring_(memory_, cell) {
    if (cell > memory_.layout().cells)
        throw std::invalid_argument("cluster: cell " + std::to_string(cell) + " is outside the shared block");
}

ClusterLink::~ClusterLink() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (poller_.joinable()) poller_.join();
}

std::shared_ptr<Telemetry> ClusterLink::telemetry(Redaction redaction) const {
    const Layout& l = memory_.layout();
    if (!l.event_capacity) return nullptr;
    std::vector<std::unique_ptr<EventRing>> rings;
    const unsigned first = is_supervisor() ? 0 : cell_;
    const unsigned last = is_supervisor() ? l.cells : cell_ + 1;
    for (unsigned c = first; c < last; ++c)
        for (unsigned t = 0; t < l.threads; ++t)
            rings.push_back(std::make_unique<EventRing>(memory_.event_ring(c, t), l.event_capacity));
    auto telemetry = std::make_shared<Telemetry>(std::move(rings), std::move(redaction), keep_alive_);
    // Failed requests travel too: a worker sends, the supervisor's inspector receives.
    auto errors = std::make_shared<ErrorRing>(memory_, cell_);
    std::shared_ptr<const ClusterLink> self = shared_from_this();  // the ring reads the link's memory
    if (is_supervisor())
        telemetry->exchange_errors(nullptr, [errors, self] { return errors->receive(); });
    else
        telemetry->exchange_errors([errors, self](ErrorRecord e) { errors->send(std::move(e)); }, nullptr);
    return telemetry;
}

void ClusterLink::watch(const std::shared_ptr<ResponseCache>& cache) {
    // The listener holds the link weakly: a cache may outlive it (and then just stops broadcasting).
    std::weak_ptr<ClusterLink> weak = weak_from_this();
    cache->set_invalidation_listener([weak](const std::vector<std::string>& tags, std::optional<std::string_view> path) {
        if (auto link = weak.lock()) link->ring_.publish(tags, path);
    });
    // Its counters add up over the cluster (set before the route table makes its policies).
    cache->set_counter_store(std::make_shared<SharedCacheCounters>(memory_, cell_, keep_alive_));
    std::lock_guard lock(mutex_);
    caches_.push_back(cache);
    if (!poller_.joinable()) poller_ = std::thread([this] { poll_loop(); });
}

void ClusterLink::poll_loop() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, kPollInterval, [this] { return stopping_; })) {
        for (const Invalidation& inv : ring_.poll()) apply(inv);
    }
}

void ClusterLink::apply(const Invalidation& inv) {
    // Under mutex_ (the poller's): caches_ does not change meanwhile.
    std::erase_if(caches_, [](const auto& w) { return w.expired(); });
    for (const auto& weak : caches_) {
        const auto cache = weak.lock();
        if (!cache) continue;
        if (inv.everything) {
            cache->clear();
            continue;
        }
        if (!inv.tags.empty()) cache->invalidate_tags(inv.tags, ResponseCache::Origin::Elsewhere);
        if (inv.path) cache->invalidate_path(*inv.path, ResponseCache::Origin::Elsewhere);
    }
}

void ClusterLink::join(std::shared_ptr<ClusterLink> link) {
    {
        std::lock_guard lock(g_current_mutex);
        g_current = std::move(link);
    }
    PoolMeter::joined_cluster();  // database pools opened before joining count for the cluster too
}

std::shared_ptr<ClusterLink> ClusterLink::current() {
    std::lock_guard lock(g_current_mutex);
    return g_current;
}

}  // namespace cello::engine::cluster
