#include "inspector/route_stats.hpp"

#include <algorithm>

namespace cello::inspector {

namespace {
constexpr std::int64_t kNsPerSecond = 1'000'000'000;

std::int64_t second_of(std::int64_t ns) noexcept {
    return ns >= 0 ? ns / kNsPerSecond : (ns - kNsPerSecond + 1) / kNsPerSecond;
}

void fill(WindowStats& w, const LatencyHistogram& h) noexcept {
    w.p50_ns = h.percentile(50);
    w.p90_ns = h.percentile(90);
    w.p99_ns = h.percentile(99);
    w.max_ns = h.max();
}
}  // namespace

struct RouteStats::Second {
    std::int64_t second = -1;  // the wall-clock second this slot holds; -1: empty
    std::uint64_t errors_5xx = 0, errors_4xx = 0;
    LatencyHistogram hist;
};

struct RouteStats::Slot {
    explicit Slot(unsigned window) : ring(window) {}
    std::uint64_t errors_5xx = 0, errors_4xx = 0;
    std::uint64_t hits = 0, misses = 0, bypass = 0;
    std::uint64_t bytes_in = 0, bytes_out = 0;
    std::uint64_t db_queries = 0, db_requests = 0, n_plus_one = 0;
    std::int64_t db_ns = 0;
    std::uint32_t max_repeats = 0;
    LatencyHistogram total;
    std::vector<Second> ring;  // window_seconds entries, indexed by second % window
};

RouteStats::RouteStats(RouteStatsConfig config) : config_(config) {
    if (config_.window_seconds == 0) config_.window_seconds = 1;
    slots_.resize(static_cast<std::size_t>(config_.max_routes) + 1);
}

RouteStats::~RouteStats() = default;

std::size_t RouteStats::slot_index(std::uint32_t route_id) const noexcept {
    return route_id < config_.max_routes ? route_id : config_.max_routes;
}

void RouteStats::record(const RequestEvent& e) {
    auto& slot = slots_[slot_index(e.route_id)];
    if (!slot) slot = std::make_unique<Slot>(config_.window_seconds);
    const bool e5 = e.status >= 500;
    const bool e4 = e.status >= 400 && e.status < 500;
    slot->total.record(e.latency_ns);
    slot->errors_5xx += e5;
    slot->errors_4xx += e4;
    switch (e.cache) {
        case engine::CacheOutcome::Hit: ++slot->hits; break;
        case engine::CacheOutcome::Miss: ++slot->misses; break;
        case engine::CacheOutcome::Bypass: ++slot->bypass; break;
        case engine::CacheOutcome::None: break;
    }
    slot->bytes_in += e.bytes_in;
    slot->bytes_out += e.bytes_out;
    if (e.db_queries) {
        slot->db_queries += e.db_queries;
        slot->db_ns += static_cast<std::int64_t>(e.db_us) * 1000;
        ++slot->db_requests;
        slot->max_repeats = std::max<std::uint32_t>(slot->max_repeats, e.db_repeats);
        slot->n_plus_one += e.db_repeats >= kNPlusOneRepeats;
    }

    const std::int64_t sec = second_of(e.time_ns);
    const auto window = static_cast<std::int64_t>(config_.window_seconds);
    auto& s = slot->ring[static_cast<std::size_t>(((sec % window) + window) % window)];
    if (s.second != sec) {
        if (s.second > sec) return;  // older than the second now held there: outside any window
        s.second = sec;
        s.errors_5xx = s.errors_4xx = 0;
        s.hist.reset();
    }
    s.hist.record(e.latency_ns);
    s.errors_5xx += e5;
    s.errors_4xx += e4;
}

RouteSnapshot RouteStats::snapshot(std::uint32_t route_id, std::int64_t now_ns) const {
    const std::size_t index = slot_index(route_id);
    RouteSnapshot out;
    out.route_id = index < config_.max_routes ? static_cast<std::uint32_t>(index) : kUnmatchedRoute;
    const auto& slot = slots_[index];
    if (!slot) return out;
    out.total.count = slot->total.count();
    out.total.errors_5xx = slot->errors_5xx;
    out.total.errors_4xx = slot->errors_4xx;
    fill(out.total, slot->total);
    out.cache_hits = slot->hits;
    out.cache_misses = slot->misses;
    out.cache_bypass = slot->bypass;
    if (slot->hits + slot->misses)
        out.hit_ratio = static_cast<double>(slot->hits) / static_cast<double>(slot->hits + slot->misses);
    out.bytes_in = slot->bytes_in;
    out.bytes_out = slot->bytes_out;
    out.db_queries = slot->db_queries;
    out.db_requests = slot->db_requests;
    out.db_ns = slot->db_ns;
    out.max_repeats = slot->max_repeats;
    out.n_plus_one = slot->n_plus_one;

    const std::int64_t now = second_of(now_ns);
    const auto window = static_cast<std::int64_t>(config_.window_seconds);
    LatencyHistogram merged;
    for (const auto& s : slot->ring) {
        if (s.second < 0 || s.second > now || s.second <= now - window) continue;
        merged.merge(s.hist);
        out.window.errors_5xx += s.errors_5xx;
        out.window.errors_4xx += s.errors_4xx;
    }
    out.window.count = merged.count();
    fill(out.window, merged);
    return out;
}

std::vector<std::uint32_t> RouteStats::active_routes() const {
    std::vector<std::uint32_t> ids;
    for (std::size_t i = 0; i < slots_.size(); ++i)
        if (slots_[i]) ids.push_back(i < config_.max_routes ? static_cast<std::uint32_t>(i) : kUnmatchedRoute);
    return ids;
}

const LatencyHistogram* RouteStats::total_histogram(std::uint32_t route_id) const noexcept {
    const auto& slot = slots_[slot_index(route_id)];
    return slot ? &slot->total : nullptr;
}

void RouteStats::reset() {
    for (auto& s : slots_) s.reset();
}

std::size_t RouteStats::allocated_slots() const noexcept {
    std::size_t n = 0;
    for (const auto& s : slots_) n += s != nullptr;
    return n;
}

std::size_t RouteStats::worst_case_bytes() const noexcept {
    const std::size_t per_slot = sizeof(Slot) + config_.window_seconds * sizeof(Second);
    return slots_.size() * (sizeof(std::unique_ptr<Slot>) + per_slot);
}

}  // namespace cello::inspector
