#include "engine/cluster/message_ring.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

namespace cello::engine::cluster {

// An entry: [0] sequence number (0 while being written), [1] origin | payload length << 32, then
// the payload, copied word by word through atomics (a reader may race a writer a lap ahead; the
// sequence number read before and after tells it so).

MessageRing::MessageRing(const ClusterMemory& memory, std::size_t offset, std::uint64_t& head, std::size_t entries,
                         std::size_t entry_bytes, unsigned origin)
    : memory_(memory),
      offset_(offset),
      head_(head),
      entries_(entries),
      words_(entry_bytes / sizeof(std::uint64_t)),
      origin_(origin),
      cursor_(std::atomic_ref<std::uint64_t>(head).load(std::memory_order_acquire)) {}

std::uint64_t* MessageRing::entry(std::uint64_t seq) const noexcept {
    return memory_.ints(offset_ + (seq % entries_) * words_ * sizeof(std::uint64_t));
}

bool MessageRing::publish(std::string_view payload) {
    if (payload.size() > max_bytes()) return false;
    const std::uint64_t seq = std::atomic_ref<std::uint64_t>(head_).fetch_add(1, std::memory_order_acq_rel) + 1;
    std::uint64_t* e = entry(seq);
    std::atomic_ref<std::uint64_t>(e[0]).store(0, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    std::atomic_ref<std::uint64_t>(e[1]).store(origin_ | (static_cast<std::uint64_t>(payload.size()) << 32),
                                               std::memory_order_relaxed);
    for (std::size_t i = 0; i * 8 < payload.size(); ++i) {
        std::uint64_t w = 0;
        std::memcpy(&w, payload.data() + 8 * i, std::min<std::size_t>(8, payload.size() - 8 * i));
        std::atomic_ref<std::uint64_t>(e[2 + i]).store(w, std::memory_order_relaxed);
    }
    std::atomic_ref<std::uint64_t>(e[0]).store(seq, std::memory_order_release);
    return true;
}

std::vector<MessageRing::Message> MessageRing::poll() {
    std::vector<Message> out;
    const std::uint64_t head = std::atomic_ref<std::uint64_t>(head_).load(std::memory_order_acquire);
    while (cursor_ < head) {
        const std::uint64_t want = cursor_ + 1;
        std::uint64_t* e = entry(want);
        const std::uint64_t s1 = std::atomic_ref<std::uint64_t>(e[0]).load(std::memory_order_acquire);
        if (s1 < want) {  // claimed, not yet written
            if (++stalled_ < kMaxStalledPolls) break;
            out.push_back(Message{true, 0, {}});  // its writer died
            cursor_ = want;
            stalled_ = 0;
            continue;
        }
        stalled_ = 0;
        const std::uint64_t meta = std::atomic_ref<std::uint64_t>(e[1]).load(std::memory_order_relaxed);
        const std::size_t len = std::min<std::size_t>(meta >> 32, max_bytes());
        std::string payload(len, '\0');
        for (std::size_t i = 0; i * 8 < len; ++i) {
            const std::uint64_t w = std::atomic_ref<std::uint64_t>(e[2 + i]).load(std::memory_order_relaxed);
            std::memcpy(payload.data() + 8 * i, &w, std::min<std::size_t>(8, len - 8 * i));
        }
        std::atomic_thread_fence(std::memory_order_acquire);
        const std::uint64_t s2 = std::atomic_ref<std::uint64_t>(e[0]).load(std::memory_order_relaxed);
        if (s1 != want || s2 != want) {  // lapped: entries were lost to this reader
            out.push_back(Message{true, 0, {}});
            cursor_ = head;
            break;
        }
        cursor_ = want;
        out.push_back(Message{false, static_cast<unsigned>(meta & 0xFFFFFFFFu), std::move(payload)});
    }
    return out;
}

}  // namespace cello::engine::cluster
