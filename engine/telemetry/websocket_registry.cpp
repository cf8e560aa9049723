#include "engine/telemetry/websocket_registry.hpp"

#include <chrono>

namespace cello::engine {

namespace {
std::int64_t wall_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}
}  // namespace

void WebSocketRegistry::read_counts(WebSocketRecord& r, const Counters& c) {
    r.messages_in = c.messages_in.load(std::memory_order_relaxed);
    r.messages_out = c.messages_out.load(std::memory_order_relaxed);
    r.bytes_in = c.bytes_in.load(std::memory_order_relaxed);
    r.bytes_out = c.bytes_out.load(std::memory_order_relaxed);
}

std::pair<std::uint64_t, std::shared_ptr<WebSocketRegistry::Counters>> WebSocketRegistry::opened(WebSocketRecord record) {
    auto counters = std::make_shared<Counters>();
    std::lock_guard lock(mutex_);
    record.id = next_id_++;
    record.opened_ns = wall_now_ns();
    record.closed_ns = 0;
    record.close_code = 0;
    record.close_reason.clear();
    record.messages_in = record.messages_out = record.bytes_in = record.bytes_out = 0;
    const auto id = record.id;
    open_.emplace(id, Open{std::move(record), counters});
    return {id, std::move(counters)};
}

void WebSocketRegistry::closed(std::uint64_t id, int code, std::string reason) {
    std::lock_guard lock(mutex_);
    const auto it = open_.find(id);
    if (it == open_.end()) return;
    WebSocketRecord r = std::move(it->second.record);
    read_counts(r, *it->second.counters);
    open_.erase(it);
    r.closed_ns = wall_now_ns();
    r.close_code = code;
    r.close_reason = std::move(reason);
    closed_messages_in_ += r.messages_in;
    closed_messages_out_ += r.messages_out;
    closed_.push_back(std::move(r));
    while (closed_.size() > kRecentClosed) closed_.pop_front();
}

WebSocketRegistry::Listing WebSocketRegistry::list(std::size_t max_open) const {
    Listing l;
    std::lock_guard lock(mutex_);
    l.opened_total = next_id_ - 1;
    l.open_count = open_.size();
    l.messages_in = closed_messages_in_;
    l.messages_out = closed_messages_out_;
    const std::size_t skip = open_.size() > max_open ? open_.size() - max_open : 0;
    l.open.reserve(open_.size() - skip);
    std::size_t i = 0;
    for (const auto& [id, o] : open_) {
        l.messages_in += o.counters->messages_in.load(std::memory_order_relaxed);
        l.messages_out += o.counters->messages_out.load(std::memory_order_relaxed);
        if (i++ < skip) continue;  // only the newest are copied (strings and all)
        WebSocketRecord& r = l.open.emplace_back(o.record);
        read_counts(r, *o.counters);
    }
    l.closed.assign(closed_.begin(), closed_.end());
    return l;
}

}  // namespace cello::engine
