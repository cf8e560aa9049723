#include "inspector/recent_requests.hpp"

namespace cello::inspector {

RecentRequests::RecentRequests(std::size_t capacity) : ring_(capacity == 0 ? 1 : capacity) {}

void RecentRequests::push(const RequestEvent& e) noexcept {
    ring_[next_] = e;
    next_ = next_ + 1 == ring_.size() ? 0 : next_ + 1;
    if (size_ < ring_.size()) ++size_;
    ++pushed_;
}

std::vector<RequestEvent> RecentRequests::snapshot() const {
    std::vector<RequestEvent> out;
    out.reserve(size_);
    std::size_t i = (next_ + ring_.size() - size_) % ring_.size();
    for (std::size_t n = 0; n < size_; ++n) {
        out.push_back(ring_[i]);
        i = i + 1 == ring_.size() ? 0 : i + 1;
    }
    return out;
}

void RecentRequests::clear() noexcept {
    next_ = size_ = 0;
    pushed_ = 0;
}

}  // namespace cello::inspector
