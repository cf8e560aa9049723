#include "engine/cluster/shared_rate_table.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

namespace cello::engine::cluster {

namespace {

// A slot: [0] tag (kEmpty, kBusy or the key's hash with bit 1 set), [1] and [2] the client key,
// [3] the limiter, [4] the theoretical arrival time (steady clock ns; 0: a full bucket).
constexpr std::size_t kTag = 0, kKeyLo = 1, kKeyHi = 2, kLimiter = 3, kTat = 4;

std::atomic_ref<std::uint64_t> at(std::uint64_t* s, std::size_t i) { return std::atomic_ref<std::uint64_t>(s[i]); }

}  // namespace

SharedRateTable::SharedRateTable(std::shared_ptr<ClusterLink> link, std::uint64_t limiter, double rate, double burst)
    : link_(std::move(link)),
      limiter_(limiter),
      interval_ns_(std::max<std::int64_t>(1, std::llround(1e9 / rate))),
      tolerance_ns_(static_cast<std::int64_t>(burst - 1) * interval_ns_) {}

std::uint64_t* SharedRateTable::slot(std::size_t i) const {
    return link_->memory().ints(link_->memory().layout().rates) + (i % Layout::kRateEntries) * Layout::kRateEntryInts;
}

SharedRateTable::Decision SharedRateTable::take(const Key& key, std::int64_t now_ns) {
    std::uint64_t lo, hi;
    std::memcpy(&lo, key.data(), 8);
    std::memcpy(&hi, key.data() + 8, 8);
    const std::uint64_t tag = stable_hash(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), limiter_) | 2;
    const auto now = static_cast<std::uint64_t>(now_ns);

    std::uint64_t* mine = nullptr;
    // Another process may claim the same slot at the same moment: then look again (bounded; past
    // that, let the request through rather than spin).
    for (int attempt = 0; attempt < 64 && !mine; ++attempt) {
        std::uint64_t* empty = nullptr;
        std::uint64_t* victim = nullptr;
        std::uint64_t victim_tag = 0, victim_tat = std::numeric_limits<std::uint64_t>::max();
        for (std::size_t p = 0; p < kProbe; ++p) {
            std::uint64_t* s = slot(tag + p);
            const std::uint64_t t = published_tag(s[kTag]);
            if (t == kEmpty) {  // slots are never emptied: the key is not further on
                empty = s;
                break;
            }
            if (t == kBusy) continue;
            if (t == tag && at(s, kKeyLo).load(std::memory_order_relaxed) == lo &&
                at(s, kKeyHi).load(std::memory_order_relaxed) == hi &&
                at(s, kLimiter).load(std::memory_order_relaxed) == limiter_) {
                mine = s;
                break;
            }
            const std::uint64_t tat = at(s, kTat).load(std::memory_order_relaxed);
            if (tat < victim_tat) {  // the least recently busy: a passed time is a full bucket, nothing lost
                victim = s;
                victim_tag = t;
                victim_tat = tat;
            }
        }
        if (mine) break;
        std::uint64_t* claim = empty ? empty : victim;
        std::uint64_t expected = empty ? kEmpty : victim_tag;
        if (!claim || !at(claim, kTag).compare_exchange_strong(expected, kBusy, std::memory_order_acq_rel)) continue;
        at(claim, kKeyLo).store(lo, std::memory_order_relaxed);
        at(claim, kKeyHi).store(hi, std::memory_order_relaxed);
        at(claim, kLimiter).store(limiter_, std::memory_order_relaxed);
        at(claim, kTat).store(0, std::memory_order_relaxed);
        at(claim, kTag).store(tag, std::memory_order_release);
        mine = claim;
    }
    if (!mine) return {};

    auto tat_ref = at(mine, kTat);
    std::uint64_t tat = tat_ref.load(std::memory_order_relaxed);
    for (;;) {
        const std::uint64_t base = std::max(tat, now);
        const auto ahead = static_cast<std::int64_t>(base - now);
        if (ahead > tolerance_ns_) return {false, static_cast<double>(ahead - tolerance_ns_) / 1e9};
        if (tat_ref.compare_exchange_weak(tat, base + static_cast<std::uint64_t>(interval_ns_),
                                          std::memory_order_relaxed))
            return {true, 0};
    }
}

}  // namespace cello::engine::cluster
