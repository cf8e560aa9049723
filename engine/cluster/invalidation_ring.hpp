// Cache invalidations on their way to every worker: the last 64 in a MessageRing of the cluster's
// shared memory. A worker that invalidates publishes (tags and/or path); every other worker polls
// the ring and drops the same entries from its own cache. A reader that lost messages (a lap
// behind, or a writer that died mid-write) clears its whole cache instead, which is always safe.
#pragma once

#include "engine/cluster/message_ring.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cello::engine::cluster {

struct Invalidation {
    bool everything = false;  // drop the whole cache (what could not be told exactly)
    std::vector<std::string> tags;
    std::optional<std::string> path;
};

class InvalidationRing {
public:
    // `origin`: this process's cell, so that it skips its own invalidations (already applied).
    InvalidationRing(const ClusterMemory& memory, unsigned origin);

    // Any thread. Too much to fit an entry (about 1000 bytes of tags and path) goes out as
    // `everything`.
    void publish(const std::vector<std::string>& tags, std::optional<std::string_view> path);

    // Other workers' invalidations published since the last call. One thread only (the poller).
    std::vector<Invalidation> poll();

private:
    MessageRing ring_;
    unsigned origin_;
};

}  // namespace cello::engine::cluster
