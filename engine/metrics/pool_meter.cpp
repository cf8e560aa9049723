#include "engine/metrics/pool_meter.hpp"

#include "engine/cluster/shared_pool_rows.hpp"

#include <algorithm>
#include <atomic>

#ifdef _WIN32
#include <process.h>
#define CELLO_GETPID _getpid
#else
#include <unistd.h>
#define CELLO_GETPID getpid
#endif

namespace cello::engine {

namespace {
// Meters of this process, oldest first. Weak: a meter's owners decide its life.
std::mutex& registry_mutex() {
    static std::mutex m;
    return m;
}
std::vector<std::weak_ptr<PoolMeter>>& registry() {
    static std::vector<std::weak_ptr<PoolMeter>> r;
    return r;
}
std::uint64_t load(const std::uint64_t& v) {
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(v)).load(std::memory_order_relaxed);
}
// A gauge is a sum of signed deltas held in unsigned arithmetic.
std::uint64_t gauge(const std::uint64_t& v) { return static_cast<std::uint64_t>(std::max<std::int64_t>(0, static_cast<std::int64_t>(load(v)))); }
}  // namespace

void add_pool_row(PoolFigures& f, const std::uint64_t* row) {
    f.size += gauge(row[kPoolSize]);
    f.open += gauge(row[kPoolOpen]);
    f.idle += gauge(row[kPoolIdle]);
    f.in_use = f.open > f.idle ? f.open - f.idle : 0;
    f.waiters += gauge(row[kPoolWaiters]);
    f.query_errors += load(row[kPoolErrors]);
    f.query_ns.sum += load(row[kPoolSumNs]);
    for (std::size_t i = 0; i < f.query_ns.counts.size(); ++i) f.query_ns.counts[i] += load(row[kPoolBuckets + i]);
}

PoolMeter::PoolMeter(std::string label) : label_(std::move(label)), creator_(static_cast<long>(CELLO_GETPID())) {}

std::shared_ptr<PoolMeter> PoolMeter::make(std::string label) {
    std::shared_ptr<PoolMeter> meter(new PoolMeter(std::move(label)));
    if (auto link = cluster::ClusterLink::current()) {
        if (std::uint64_t* row = cluster::pool_row(*link, meter->label_)) {
            meter->row_.store(row, std::memory_order_relaxed);
            meter->shared_ = link;
        }
    }
    std::lock_guard lock(registry_mutex());
    auto& r = registry();
    std::erase_if(r, [](const auto& w) { return w.expired(); });
    r.push_back(meter);
    return meter;
}

PoolMeter::~PoolMeter() { detach(); }

void PoolMeter::add(std::size_t at, std::int64_t delta) noexcept {
    std::atomic_ref<std::uint64_t>(row_.load(std::memory_order_relaxed)[at])
        .fetch_add(static_cast<std::uint64_t>(delta), std::memory_order_relaxed);
}

void PoolMeter::joined_cluster() {
    auto link = cluster::ClusterLink::current();
    if (!link) return;
    const long self = static_cast<long>(CELLO_GETPID());
    std::lock_guard lock(registry_mutex());
    for (const auto& w : registry()) {
        auto m = w.lock();
        if (!m || m->creator_ != self || m->row_.load() != m->local_.data()) continue;
        std::uint64_t* row = cluster::pool_row(*link, m->label_);
        if (!row) continue;
        // Before serving: nothing records meanwhile. What was counted here moves over.
        for (std::size_t i = 0; i < kPoolInts; ++i)
            std::atomic_ref<std::uint64_t>(row[i]).fetch_add(m->local_[i], std::memory_order_relaxed);
        m->shared_ = link;
        m->row_.store(row, std::memory_order_relaxed);
    }
}

void PoolMeter::connections(std::size_t size, std::size_t open, std::size_t idle) {
    std::lock_guard lock(mutex_);
    if (detached_) return;
    const std::array<std::int64_t, 3> now{static_cast<std::int64_t>(size), static_cast<std::int64_t>(open),
                                          static_cast<std::int64_t>(idle)};
    constexpr std::size_t at[] = {kPoolSize, kPoolOpen, kPoolIdle};
    for (std::size_t i = 0; i < now.size(); ++i)
        if (now[i] != published_[i]) add(at[i], now[i] - published_[i]);
    published_ = now;
}

void PoolMeter::record_query(std::chrono::nanoseconds took, bool failed) noexcept {
    const auto ns = std::max<std::int64_t>(0, took.count());
    add(kPoolBuckets + duration_bucket(static_cast<std::uint64_t>(ns)), 1);
    add(kPoolSumNs, ns);
    if (failed) add(kPoolErrors, 1);
}

void PoolMeter::waiting(int delta) noexcept { add(kPoolWaiters, delta); }

void PoolMeter::detach() {
    std::lock_guard lock(mutex_);
    if (detached_) return;
    detached_ = true;
    constexpr std::size_t at[] = {kPoolSize, kPoolOpen, kPoolIdle};
    for (std::size_t i = 0; i < published_.size(); ++i) add(at[i], -published_[i]);
    published_ = {};
}

std::vector<PoolFigures> PoolMeter::all() {
    if (auto link = cluster::ClusterLink::current()) return cluster::pool_figures(*link);
    std::vector<std::shared_ptr<PoolMeter>> meters;
    {
        std::lock_guard lock(registry_mutex());
        for (const auto& w : registry())
            if (auto m = w.lock()) meters.push_back(std::move(m));
    }
    std::vector<PoolFigures> out;
    for (const auto& m : meters) {
        {
            std::lock_guard lock(m->mutex_);
            if (m->detached_) continue;
        }
        // Two pools of one database (an app's and a script's) are one series: Prometheus refuses
        // a page with the same labels twice.
        auto same = std::find_if(out.begin(), out.end(), [&](const PoolFigures& o) { return o.pool == m->label_; });
        if (same == out.end()) {
            out.push_back({});
            same = out.end() - 1;
            same->pool = m->label_;
        }
        add_pool_row(*same, m->row_.load(std::memory_order_relaxed));
    }
    return out;
}

std::string pool_label(std::string_view backend, std::string_view where) {
    std::string label(backend);
    label += "://";
    label += where;
    return label;
}

}  // namespace cello::engine
