#include "engine/metrics/pool_meter.hpp"

#include <algorithm>

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
}  // namespace

PoolMeter::PoolMeter(std::string label, Connections connections)
    : label_(std::move(label)), connections_(std::move(connections)) {}

std::shared_ptr<PoolMeter> PoolMeter::make(std::string label, Connections connections) {
    std::shared_ptr<PoolMeter> meter(new PoolMeter(std::move(label), std::move(connections)));
    std::lock_guard lock(registry_mutex());
    auto& r = registry();
    std::erase_if(r, [](const auto& w) { return w.expired(); });
    r.push_back(meter);
    return meter;
}

PoolMeter::~PoolMeter() = default;

void PoolMeter::record_query(std::chrono::nanoseconds took, bool failed) noexcept {
    const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(0, took.count()));
    counts_[duration_bucket(ns)].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(ns, std::memory_order_relaxed);
    if (failed) errors_.fetch_add(1, std::memory_order_relaxed);
}

void PoolMeter::waiting(int delta) noexcept { waiters_.fetch_add(delta, std::memory_order_relaxed); }

void PoolMeter::detach() {
    std::lock_guard lock(mutex_);
    connections_ = nullptr;
}

bool PoolMeter::figures(PoolFigures& out) const {
    {
        std::lock_guard lock(mutex_);
        if (!connections_) return false;
        connections_(out);
    }
    out.pool = label_;
    out.waiters = static_cast<std::uint64_t>(std::max<std::int64_t>(0, waiters_.load(std::memory_order_relaxed)));
    for (std::size_t i = 0; i < counts_.size(); ++i) out.query_ns.counts[i] = counts_[i].load(std::memory_order_relaxed);
    out.query_ns.sum = sum_ns_.load(std::memory_order_relaxed);
    out.query_errors = errors_.load(std::memory_order_relaxed);
    return true;
}

std::vector<PoolFigures> PoolMeter::all() {
    std::vector<std::shared_ptr<PoolMeter>> meters;
    {
        std::lock_guard lock(registry_mutex());
        for (const auto& w : registry())
            if (auto m = w.lock()) meters.push_back(std::move(m));
    }
    std::vector<PoolFigures> out;
    for (const auto& m : meters) {
        PoolFigures f;
        if (!m->figures(f)) continue;
        // Two pools of one database (an app's and a script's, or one per app in a process) are one
        // series: Prometheus refuses a page with the same labels twice.
        const auto same = std::find_if(out.begin(), out.end(), [&](const PoolFigures& o) { return o.pool == f.pool; });
        if (same == out.end()) {
            out.push_back(std::move(f));
            continue;
        }
        same->size += f.size;
        same->open += f.open;
        same->idle += f.idle;
        same->in_use += f.in_use;
        same->waiters += f.waiters;
        same->query_ns.add(f.query_ns);
        same->query_errors += f.query_errors;
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
