// A bounded ring of the last N request events (default 1000). Not thread-safe: owned by the
// inspector thread; snapshot() copies out, oldest first.
#pragma once

#include "inspector/event.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cello::inspector {

class RecentRequests {
public:
    explicit RecentRequests(std::size_t capacity = 1000);

    void push(const RequestEvent& e) noexcept;
    std::vector<RequestEvent> snapshot() const;  // oldest to newest, at most capacity()
    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return ring_.size(); }
    std::uint64_t total_pushed() const noexcept { return pushed_; }
    void clear() noexcept;

private:
    std::vector<RequestEvent> ring_;  // allocated once, never grows
    std::size_t next_ = 0;            // where the next event goes
    std::size_t size_ = 0;
    std::uint64_t pushed_ = 0;
};

}  // namespace cello::inspector
