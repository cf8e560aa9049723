// The rate limit's buckets for a whole cluster, in the shared block: a client allowed R requests
// gets R in total whichever worker answers it, not R per worker.
//
// Each (limiter, client) pair is one slot holding a single 64-bit "theoretical arrival time"
// (GCRA, the generic cell rate algorithm: the same decisions as a token bucket of `burst` tokens
// refilled at `rate`), updated with compare-and-swap, so no process ever holds a lock here. A slot
// whose time has passed stands for a full bucket, so it can be given to another client without
// losing anything; only when every slot near a key is busy with an active client does one of them
// start afresh (documented as the table's bound, Layout::kRateEntries).
#pragma once

#include "engine/cluster/cluster_link.hpp"

#include <array>
#include <cstdint>
#include <memory>

namespace cello::engine::cluster {

class SharedRateTable {
public:
    using Key = std::array<std::uint8_t, 16>;
    struct Decision {
        bool allowed = true;
        double retry_after = 0;  // seconds until a request would be allowed again (when refused)
    };

    // `limiter` tells apart the server's rate limits (each its own buckets); `rate` per second, at
    // most `burst` saved up.
    SharedRateTable(std::shared_ptr<ClusterLink> link, std::uint64_t limiter, double rate, double burst);

    // One request of `key` at `now_ns` (the steady clock, which every process on the machine shares).
    Decision take(const Key& key, std::int64_t now_ns);

    static constexpr std::size_t kProbe = 8;  // slots looked at for a key

private:
    std::uint64_t* slot(std::size_t i) const;

    std::shared_ptr<ClusterLink> link_;
    std::uint64_t limiter_;
    std::int64_t interval_ns_;   // one request's worth of time (1 / rate)
    std::int64_t tolerance_ns_;  // how far ahead of now the arrival time may run: (burst - 1) intervals
};

}  // namespace cello::engine::cluster
