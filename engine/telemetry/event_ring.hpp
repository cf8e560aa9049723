// A bounded single-producer / single-consumer ring of RequestEvents. The engine thread that owns
// it pushes; the inspector thread drains. push() never blocks and never allocates: when the ring
// is full the event is dropped and counted.
//
// The ring either owns its memory or lives in memory it is given: in cluster mode a worker's
// engine thread pushes into a ring in shared memory that the supervisor's inspector drains, so
// its state is plain atomics and events, nothing that points elsewhere.
#pragma once

#include "engine/telemetry/request_event.hpp"

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>

namespace cello::engine {

class EventRing {
public:
    explicit EventRing(std::size_t capacity)  // rounded up to a power of two
        : mask_(round(capacity) - 1),
          owned_(static_cast<std::byte*>(::operator new(bytes_for(capacity), std::align_val_t{64}))) {
        place(owned_.get(), true);
    }

    // A ring in `memory` (at least bytes_for(capacity), 64-byte aligned), zeroed or already used by
    // an earlier producer: it goes on from where that one stopped.
    EventRing(std::span<std::byte> memory, std::size_t capacity) : mask_(round(capacity) - 1) {
        place(memory.data(), false);
    }

    static std::size_t bytes_for(std::size_t capacity) noexcept { return sizeof(Control) + round(capacity) * sizeof(RequestEvent); }

    // Producer side (one thread).
    bool push(const RequestEvent& e) noexcept {
        Control& c = *control_;
        const std::uint64_t head = c.head.load(std::memory_order_relaxed);
        if (head - c.tail_cache > mask_) {
            c.tail_cache = c.tail.load(std::memory_order_acquire);
            if (head - c.tail_cache > mask_) {
                c.dropped.store(c.dropped.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
                return false;
            }
        }
        slots_[head & mask_] = e;
        c.head.store(head + 1, std::memory_order_release);
        return true;
    }

    // Consumer side (one thread): calls f(const RequestEvent&) for each queued event, oldest first,
    // at most `max` of them. Returns how many.
    template <class F>
    std::size_t drain(F&& f, std::size_t max = ~std::size_t{0}) {
        Control& c = *control_;
        const std::uint64_t tail = c.tail.load(std::memory_order_relaxed);
        const std::uint64_t head = c.head.load(std::memory_order_acquire);
        std::uint64_t n = head - tail;
        if (n > max) n = max;
        for (std::uint64_t i = 0; i < n; ++i) f(slots_[(tail + i) & mask_]);
        c.tail.store(tail + n, std::memory_order_release);
        return static_cast<std::size_t>(n);
    }

    std::size_t capacity() const noexcept { return mask_ + 1; }
    std::uint64_t dropped() const noexcept { return control_->dropped.load(std::memory_order_relaxed); }
    std::uint64_t pushed() const noexcept { return control_->head.load(std::memory_order_relaxed); }

private:
    // Producer and consumer indices on their own cache lines: no false sharing between the threads.
    struct Control {
        alignas(64) std::atomic<std::uint64_t> head;
        std::uint64_t tail_cache;  // producer's last view of tail
        std::atomic<std::uint64_t> dropped;
        alignas(64) std::atomic<std::uint64_t> tail;
    };
    static_assert(std::atomic<std::uint64_t>::is_always_lock_free);  // usable across processes
    static_assert(sizeof(Control) % alignof(RequestEvent) == 0);

    struct AlignedDelete {
        void operator()(std::byte* p) const noexcept { ::operator delete(p, std::align_val_t{64}); }
    };

    static std::size_t round(std::size_t capacity) noexcept { return std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity); }

    void place(std::byte* at, bool fresh) noexcept {
        // Zeroed memory is an empty ring: starting the objects' lifetime there keeps the values.
        control_ = fresh ? new (at) Control{{0}, 0, {0}, {0}} : std::launder(reinterpret_cast<Control*>(at));
        slots_ = reinterpret_cast<RequestEvent*>(at + sizeof(Control));
        if (fresh) std::uninitialized_default_construct_n(slots_, mask_ + 1);
    }

    const std::size_t mask_;
    std::unique_ptr<std::byte, AlignedDelete> owned_;
    Control* control_ = nullptr;
    RequestEvent* slots_ = nullptr;
};

}  // namespace cello::engine
