#include "engine/cluster/invalidation_ring.hpp"

#include "engine/cluster/wire.hpp"

namespace cello::engine::cluster {

namespace {

// A message: a kind (0: tags and maybe a path, kEverything: the whole cache), whether there is a
// path, the path, the tag count, the tags.
constexpr std::uint64_t kEverything = 2;

std::string encode(const std::vector<std::string>& tags, std::optional<std::string_view> path) {
    WireWriter w;
    w.u64(0);
    w.u64(path ? 1 : 0);
    w.str(path.value_or(""));
    w.u64(tags.size());
    for (const auto& t : tags) w.str(t);
    return std::move(w.bytes());
}

// A message cut short reads as `everything`.
Invalidation decode(std::string_view in) {
    WireReader r(in);
    Invalidation inv;
    if (r.u64() == kEverything) inv.everything = true;
    const bool has_path = r.u64() == 1;
    std::string path = r.str();
    if (has_path) inv.path = std::move(path);
    const std::uint64_t count = r.u64();
    for (std::uint64_t i = 0; r.ok() && i < count; ++i) inv.tags.push_back(r.str());
    if (!r.ok()) return Invalidation{true, {}, std::nullopt};
    return inv;
}

}  // namespace

InvalidationRing::InvalidationRing(const ClusterMemory& memory, unsigned origin)
    : ring_(memory, memory.layout().ring, memory.header().ring_head, Layout::kRingEntries, Layout::kRingEntryBytes,
            origin),
      origin_(origin) {}

void InvalidationRing::publish(const std::vector<std::string>& tags, std::optional<std::string_view> path) {
    if (ring_.publish(encode(tags, path))) return;
    WireWriter everything;  // too much to tell exactly: the whole cache
    everything.u64(kEverything);
    ring_.publish(everything.bytes());
}

std::vector<Invalidation> InvalidationRing::poll() {
    std::vector<Invalidation> out;
    for (auto& m : ring_.poll()) {
        if (m.lost) {
            out.push_back(Invalidation{true, {}, std::nullopt});
        } else if (m.origin != origin_) {  // this process applied its own already
            out.push_back(decode(m.bytes));
        }
    }
    return out;
}

}  // namespace cello::engine::cluster
