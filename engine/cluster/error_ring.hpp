// Failed requests on their way from the workers to the supervisor's inspector (cluster mode with
// --inspect): each ErrorRecord, already redacted by the worker's telemetry, travels as one message
// of a MessageRing in the shared block. A record too long for an entry (16 KiB) loses the middle
// of its traceback, then its body preview, never the exception line.
#pragma once

#include "engine/cluster/message_ring.hpp"
#include "engine/telemetry/telemetry.hpp"

#include <atomic>
#include <vector>

namespace cello::engine::cluster {

class ErrorRing {
public:
    ErrorRing(const ClusterMemory& memory, unsigned origin);

    void send(ErrorRecord e);             // any thread
    std::vector<ErrorRecord> receive();   // one thread (the inspector's drain)
    std::uint64_t lost() const noexcept { return lost_.load(std::memory_order_relaxed); }

private:
    MessageRing ring_;
    std::atomic<std::uint64_t> lost_{0};
};

}  // namespace cello::engine::cluster
