#include "engine/telemetry/telemetry.hpp"

#include <algorithm>
#include <string_view>

namespace cello::engine {

Telemetry::Telemetry(unsigned threads, std::size_t ring_capacity, Redaction redaction)
    : redaction_(std::move(redaction)) {
    rings_.reserve(threads ? threads : 1);
    for (unsigned i = 0; i < (threads ? threads : 1); ++i) rings_.push_back(std::make_unique<EventRing>(ring_capacity));
}

Telemetry::Telemetry(std::vector<std::unique_ptr<EventRing>> rings, Redaction redaction, std::shared_ptr<void> keep_alive)
    : redaction_(std::move(redaction)), keep_alive_(std::move(keep_alive)), rings_(std::move(rings)) {
    if (rings_.empty()) rings_.push_back(std::make_unique<EventRing>(kDefaultRingCapacity));
}

void Telemetry::record_error(ErrorRecord e) {
    if (e.body_preview.size() > kBodyPreviewBytes) e.body_preview.resize(kBodyPreviewBytes);
    redaction_.apply(e.headers);
    e.path = redaction_.target(e.path);
    if (send_errors_) {
        send_errors_(std::move(e));
        return;
    }
    std::lock_guard lock(errors_mutex_);
    if (errors_.size() >= kMaxQueuedErrors) {
        // A burst of one failure (a benchmark against a broken route) is one record with its count,
        // so the inspector still counts every failure; the newest queued records are likeliest.
        for (auto it = errors_.rbegin(); it != errors_.rend(); ++it) {
            if (!same_failure(*it, e)) continue;
            it->count += e.count;
            it->last_ns = std::max({it->last_ns, e.last_ns, e.time_ns});
            it->message = std::move(e.message);
            return;
        }
        errors_.pop_front();  // nobody drains: keep the newest
        ++dropped_errors_;
    }
    errors_.push_back(std::move(e));
}

namespace {
// The traceback without its last line (the exception and its message).
std::string_view stack_of(std::string_view traceback) {
    while (!traceback.empty() && traceback.back() == '\n') traceback.remove_suffix(1);
    const auto nl = traceback.rfind('\n');
    return nl == std::string_view::npos ? std::string_view{} : traceback.substr(0, nl);
}
std::string_view type_of(std::string_view message) { return message.substr(0, message.find(':')); }
}  // namespace

bool same_failure(const ErrorRecord& a, const ErrorRecord& b) {
    return a.route_id == b.route_id && a.table_generation == b.table_generation && a.status == b.status &&
           a.method == b.method && type_of(a.message) == type_of(b.message) &&
           stack_of(a.traceback) == stack_of(b.traceback);
}

void Telemetry::record_detail(DetailRecord d) {
    if (d.body_preview.size() > kBodyPreviewBytes) d.body_preview.resize(kBodyPreviewBytes);
    if (d.response_preview.size() > kResponsePreviewBytes) d.response_preview.resize(kResponsePreviewBytes);
    redaction_.apply(d.headers);
    redaction_.apply(d.response_headers);
    d.query = redaction_.query(d.query);
    d.target = redaction_.target(d.target);
    std::lock_guard lock(details_mutex_);
    if (details_.size() >= kMaxQueuedDetails) details_.pop_front();
    details_.push_back(std::move(d));
}

std::vector<DetailRecord> Telemetry::take_details() {
    std::lock_guard lock(details_mutex_);
    std::vector<DetailRecord> out(std::make_move_iterator(details_.begin()), std::make_move_iterator(details_.end()));
    details_.clear();
    return out;
}

std::uint64_t Telemetry::dropped_events() const noexcept {
    std::uint64_t n = 0;
    for (const auto& r : rings_) n += r->dropped();
    return n;
}

void Telemetry::exchange_errors(ErrorSend send, ErrorReceive receive) {
    send_errors_ = std::move(send);
    receive_errors_ = std::move(receive);
}

std::vector<ErrorRecord> Telemetry::take_errors() {
    std::vector<ErrorRecord> out;
    {
        std::lock_guard lock(errors_mutex_);
        out.assign(std::make_move_iterator(errors_.begin()), std::make_move_iterator(errors_.end()));
        errors_.clear();
    }
    if (receive_errors_)
        for (auto& e : receive_errors_()) out.push_back(std::move(e));
    // Repeats of one failure become one record with its count: a burst (a benchmark against a
    // broken route) is a few records per drain, not thousands pushing every other one out.
    std::vector<ErrorRecord> folded;
    folded.reserve(out.size());
    for (auto& e : out) {
        auto same = std::find_if(folded.rbegin(), folded.rend(), [&](const ErrorRecord& f) { return same_failure(f, e); });
        if (same == folded.rend()) {
            folded.push_back(std::move(e));
            continue;
        }
        same->count += e.count;
        same->last_ns = std::max({same->last_ns, e.last_ns, e.time_ns});
        same->message = std::move(e.message);
    }
    return folded;
}

std::uint64_t Telemetry::dropped_errors() const {
    std::lock_guard lock(errors_mutex_);
    return dropped_errors_;
}

}  // namespace cello::engine
