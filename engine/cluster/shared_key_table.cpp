#include "engine/cluster/shared_key_table.hpp"

#include <atomic>
#include <cstring>

namespace cello::engine::cluster {

// A key: [0] tag (kEmpty, kBusy, or the key's hash with bit 1 set), [1] scope, [2] code,
// [3] label offset in the arena | label length << 32.

std::uint64_t SharedKeyTable::load(const std::uint64_t& v) noexcept {
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(v)).load(std::memory_order_relaxed);
}

bool SharedKeyTable::published(std::uint32_t i) const noexcept {
    const std::uint64_t tag = std::atomic_ref<std::uint64_t>(key(i)[0]).load(std::memory_order_acquire);
    return tag != kEmpty && tag != kBusy;
}

std::string_view SharedKeyTable::label(std::uint32_t index) const {
    const std::uint64_t where = load(key(index)[3]);
    return {reinterpret_cast<const char*>(memory_.at(memory_.layout().arena + static_cast<std::uint32_t>(where))),
            static_cast<std::size_t>(where >> 32)};
}

std::uint32_t SharedKeyTable::find_or_add(std::uint64_t scope, std::uint64_t code, std::string_view text) const {
    if (text.size() > kMaxLabel) text = text.substr(0, kMaxLabel);
    const std::uint64_t tag = stable_hash(text, scope ^ (code * 0x9E3779B97F4A7C15ULL)) | 2;  // never kEmpty or kBusy
    Header& h = memory_.header();
    for (std::size_t probe = 0; probe < capacity_; ++probe) {
        const auto i = static_cast<std::uint32_t>((tag + probe) % capacity_);
        std::uint64_t* k = key(i);
        std::uint64_t seen = published_tag(k[0]);
        if (seen == kEmpty) {
            std::atomic_ref<std::uint64_t> t(k[0]);
            if (!t.compare_exchange_strong(seen, kBusy, std::memory_order_acq_rel)) {
                seen = published_tag(k[0]);  // another process took it first: maybe for this very key
            } else {
                const std::uint64_t offset =
                    std::atomic_ref<std::uint64_t>(h.arena_used).fetch_add(text.size(), std::memory_order_relaxed);
                if (offset + text.size() > Layout::kArenaBytes) {
                    t.store(kEmpty, std::memory_order_release);
                    return none();  // no room for the label
                }
                std::memcpy(memory_.at(memory_.layout().arena + offset), text.data(), text.size());
                std::atomic_ref<std::uint64_t>(k[1]).store(scope, std::memory_order_relaxed);
                std::atomic_ref<std::uint64_t>(k[2]).store(code, std::memory_order_relaxed);
                std::atomic_ref<std::uint64_t>(k[3]).store(offset | (static_cast<std::uint64_t>(text.size()) << 32),
                                                           std::memory_order_relaxed);
                t.store(tag, std::memory_order_release);  // the label and fields above are visible with it
                return i;
            }
        }
        if (seen == tag && load(k[1]) == scope && load(k[2]) == code && label(i) == text) return i;
    }
    return none();  // the table is full
}

}  // namespace cello::engine::cluster
