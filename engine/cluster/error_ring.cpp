#include "engine/cluster/error_ring.hpp"

#include "engine/cluster/wire.hpp"

#include <optional>

namespace cello::engine::cluster {

namespace {

std::string encode(const ErrorRecord& e) {
    WireWriter w;
    w.u64(static_cast<std::uint64_t>(e.time_ns));
    w.u64(e.table_generation);
    w.u64(e.route_id);
    w.u64(e.method);
    w.u64(static_cast<std::uint64_t>(e.status));
    w.str(e.path);
    w.str(e.message);
    w.str(e.traceback);
    w.u64(e.headers.size());
    for (const auto& [name, value] : e.headers) {
        w.str(name);
        w.str(value);
    }
    w.str(e.body_preview);
    return std::move(w.bytes());
}

std::optional<ErrorRecord> decode(std::string_view in) {
    WireReader r(in);
    ErrorRecord e;
    e.time_ns = static_cast<std::int64_t>(r.u64());
    e.table_generation = static_cast<std::uint32_t>(r.u64());
    e.route_id = static_cast<std::uint32_t>(r.u64());
    e.method = static_cast<std::uint8_t>(r.u64());
    e.status = static_cast<int>(r.u64());
    e.path = r.str();
    e.message = r.str();
    e.traceback = r.str();
    const std::uint64_t headers = r.u64();
    for (std::uint64_t i = 0; r.ok() && i < headers; ++i) {
        std::string name = r.str();
        e.headers.emplace_back(std::move(name), r.str());
    }
    e.body_preview = r.str();
    if (!r.ok()) return std::nullopt;
    return e;
}

// Keeps the first and the last part of `text` (a traceback's most telling lines are its last).
void shorten(std::string& text, std::size_t by) {
    constexpr std::string_view kCut = "\n  [...]\n";
    if (by + kCut.size() >= text.size()) {
        text.clear();
        return;
    }
    const std::size_t keep = text.size() - by - kCut.size();
    text = text.substr(0, keep / 3) + std::string(kCut) + text.substr(text.size() - (keep - keep / 3));
}

}  // namespace

ErrorRing::ErrorRing(const ClusterMemory& memory, unsigned origin)
    : ring_(memory, memory.layout().errors, memory.header().error_head, Layout::kErrorEntries,
            Layout::kErrorEntryBytes, origin) {}

void ErrorRing::send(ErrorRecord e) {
    std::string bytes = encode(e);
    if (bytes.size() > ring_.max_bytes()) {
        shorten(e.traceback, bytes.size() - ring_.max_bytes());
        bytes = encode(e);
    }
    if (bytes.size() > ring_.max_bytes()) {
        e.body_preview.clear();
        e.headers.clear();
        bytes = encode(e);
    }
    if (!ring_.publish(bytes)) lost_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<ErrorRecord> ErrorRing::receive() {
    std::vector<ErrorRecord> out;
    for (auto& m : ring_.poll()) {
        auto e = m.lost ? std::nullopt : decode(m.bytes);
        if (e) out.push_back(std::move(*e));
        else lost_.fetch_add(1, std::memory_order_relaxed);
    }
    return out;
}

}  // namespace cello::engine::cluster
