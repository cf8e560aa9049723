// A bounded single-producer / single-consumer ring of RequestEvents. The engine thread that owns
// it pushes; the inspector thread drains. push() never blocks and never allocates: when the ring
// is full the event is dropped and counted.
#pragma once

#include "engine/telemetry/request_event.hpp"

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace cello::engine {

class EventRing {
public:
    explicit EventRing(std::size_t capacity)  // rounded up to a power of two
        : mask_(std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity) - 1),
          slots_(std::make_unique<RequestEvent[]>(mask_ + 1)) {}

    // Producer side (one thread).
    bool push(const RequestEvent& e) noexcept {
        const std::uint64_t head = head_.load(std::memory_order_relaxed);
        if (head - tail_cache_ > mask_) {
            tail_cache_ = tail_.load(std::memory_order_acquire);
            if (head - tail_cache_ > mask_) {
                dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
                return false;
            }
        }
        slots_[head & mask_] = e;
        head_.store(head + 1, std::memory_order_release);
        return true;
    }

    // Consumer side (one thread): calls f(const RequestEvent&) for each queued event, oldest first,
    // at most `max` of them. Returns how many.
    template <class F>
    std::size_t drain(F&& f, std::size_t max = ~std::size_t{0}) {
        const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
        const std::uint64_t head = head_.load(std::memory_order_acquire);
        std::uint64_t n = head - tail;
        if (n > max) n = max;
        for (std::uint64_t i = 0; i < n; ++i) f(slots_[(tail + i) & mask_]);
        tail_.store(tail + n, std::memory_order_release);
        return static_cast<std::size_t>(n);
    }

    std::size_t capacity() const noexcept { return mask_ + 1; }
    std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
    std::uint64_t pushed() const noexcept { return head_.load(std::memory_order_relaxed); }

private:
    const std::size_t mask_;
    std::unique_ptr<RequestEvent[]> slots_;
    // Producer and consumer indices on their own cache lines: no false sharing between the threads.
    alignas(64) std::atomic<std::uint64_t> head_{0};
    std::uint64_t tail_cache_ = 0;  // producer's last view of tail_
    std::atomic<std::uint64_t> dropped_{0};
    alignas(64) std::atomic<std::uint64_t> tail_{0};
};

}  // namespace cello::engine
