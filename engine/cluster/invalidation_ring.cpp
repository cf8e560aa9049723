#include "engine/cluster/invalidation_ring.hpp"

#include <atomic>
#include <cstring>

namespace cello::engine::cluster {

namespace {

// An entry: [0] sequence number (0 while being written), [1] origin cell | payload length << 32,
// then the payload. Payload: a flag byte (1: has a path), the path (u16 length + bytes), the tag
// count (u16), each tag (u16 length + bytes).
constexpr std::size_t kWords = Layout::kRingEntryBytes / sizeof(std::uint64_t);
constexpr std::size_t kPayloadBytes = (kWords - 2) * sizeof(std::uint64_t);
constexpr char kEverything = 2;  // in place of the flag byte: the whole cache

bool put_string(std::string& out, std::string_view s) {
    if (s.size() > 0xFFFF) return false;
    const auto n = static_cast<std::uint16_t>(s.size());
    out.append(reinterpret_cast<const char*>(&n), 2);
    out.append(s);
    return true;
}

// False when it does not fit an entry.
bool encode(const std::vector<std::string>& tags, std::optional<std::string_view> path, std::string& out) {
    out.push_back(path ? 1 : 0);
    if (path && !put_string(out, *path)) return false;
    if (tags.size() > 0xFFFF) return false;
    const auto count = static_cast<std::uint16_t>(tags.size());
    out.append(reinterpret_cast<const char*>(&count), 2);
    for (const auto& t : tags)
        if (!put_string(out, t)) return false;
    return out.size() <= kPayloadBytes;
}

// Reads what encode wrote; anything out of bounds (a torn entry) reads as `everything`.
Invalidation decode(std::string_view in) {
    Invalidation inv;
    std::size_t at = 0;
    auto get_string = [&](std::string& s) {
        if (at + 2 > in.size()) return false;
        std::uint16_t n;
        std::memcpy(&n, in.data() + at, 2);
        at += 2;
        if (at + n > in.size()) return false;
        s.assign(in.substr(at, n));
        at += n;
        return true;
    };
    bool ok = !in.empty();
    if (ok && in[0] == 1) {
        ++at;
        inv.path.emplace();
        ok = get_string(*inv.path);
    } else {
        ++at;
    }
    std::uint16_t count = 0;
    if (ok && at + 2 <= in.size()) {
        std::memcpy(&count, in.data() + at, 2);
        at += 2;
    } else {
        ok = false;
    }
    for (std::uint16_t i = 0; ok && i < count; ++i) ok = get_string(inv.tags.emplace_back());
    if (!ok) return Invalidation{true, {}, std::nullopt};
    return inv;
}

}  // namespace

InvalidationRing::InvalidationRing(const ClusterMemory& memory, unsigned origin)
    : memory_(memory),
      origin_(origin),
      cursor_(std::atomic_ref<std::uint64_t>(memory.header().ring_head).load(std::memory_order_acquire)) {}

std::uint64_t* InvalidationRing::entry(std::uint64_t seq) const noexcept {
    return memory_.ints(memory_.layout().ring + (seq % Layout::kRingEntries) * Layout::kRingEntryBytes);
}

void InvalidationRing::publish(const std::vector<std::string>& tags, std::optional<std::string_view> path) {
    std::string payload;
    if (!encode(tags, path, payload)) payload.assign(1, kEverything);
    payload.resize((payload.size() + 7) & ~std::size_t{7}, '\0');

    const std::uint64_t seq =
        std::atomic_ref<std::uint64_t>(memory_.header().ring_head).fetch_add(1, std::memory_order_acq_rel) + 1;
    std::uint64_t* e = entry(seq);
    std::atomic_ref<std::uint64_t>(e[0]).store(0, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    std::atomic_ref<std::uint64_t>(e[1]).store(origin_ | (static_cast<std::uint64_t>(payload.size()) << 32),
                                               std::memory_order_relaxed);
    for (std::size_t i = 0; i < payload.size() / 8; ++i) {
        std::uint64_t w;
        std::memcpy(&w, payload.data() + 8 * i, 8);
        std::atomic_ref<std::uint64_t>(e[2 + i]).store(w, std::memory_order_relaxed);
    }
    std::atomic_ref<std::uint64_t>(e[0]).store(seq, std::memory_order_release);
}

std::vector<Invalidation> InvalidationRing::poll() {
    std::vector<Invalidation> out;
    const std::uint64_t head = std::atomic_ref<std::uint64_t>(memory_.header().ring_head).load(std::memory_order_acquire);
    while (cursor_ < head) {
        const std::uint64_t want = cursor_ + 1;
        std::uint64_t* e = entry(want);
        const std::uint64_t s1 = std::atomic_ref<std::uint64_t>(e[0]).load(std::memory_order_acquire);
        if (s1 < want) {  // claimed, not yet written
            if (++stalled_ < kMaxStalledPolls) break;
            out.push_back(Invalidation{true, {}, std::nullopt});  // its writer died: be safe
            cursor_ = want;
            stalled_ = 0;
            continue;
        }
        stalled_ = 0;
        const std::uint64_t meta = std::atomic_ref<std::uint64_t>(e[1]).load(std::memory_order_relaxed);
        const std::size_t len = std::min<std::size_t>(meta >> 32, kPayloadBytes);
        std::string payload(len, '\0');
        for (std::size_t i = 0; i < len / 8; ++i) {
            const std::uint64_t w = std::atomic_ref<std::uint64_t>(e[2 + i]).load(std::memory_order_relaxed);
            std::memcpy(payload.data() + 8 * i, &w, 8);
        }
        std::atomic_thread_fence(std::memory_order_acquire);
        const std::uint64_t s2 = std::atomic_ref<std::uint64_t>(e[0]).load(std::memory_order_relaxed);
        if (s1 != want || s2 != want) {  // lapped: entries were lost to this reader
            out.push_back(Invalidation{true, {}, std::nullopt});
            cursor_ = head;
            break;
        }
        cursor_ = want;
        if ((meta & 0xFFFFFFFFu) == origin_) continue;
        if (!payload.empty() && payload[0] == kEverything) {
            out.push_back(Invalidation{true, {}, std::nullopt});
            continue;
        }
        out.push_back(decode(payload));
    }
    return out;
}

}  // namespace cello::engine::cluster
