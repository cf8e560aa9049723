// The requests of a run, serialized once, and the weighted choice between them.
#pragma once

#include "inspector/loadgen/load_config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cello::inspector::loadgen {

// The bytes of one request per target: method, path, Host, the configured headers, the body.
std::vector<std::string> serialize_requests(const LoadConfig& config);

// Smooth weighted round-robin (as in nginx's upstream balancing): deterministic, each target's
// share after n picks is within one pick of n * weight / total, and heavy targets are spread out
// instead of coming in bursts. One picker per connection; not thread-safe.
class MixPicker {
public:
    explicit MixPicker(const std::vector<Target>& targets);
    std::size_t next() noexcept;
    // Moves the cycle on by n picks, so that connections do not all start on the same path.
    void advance(std::size_t n) noexcept;

private:
    std::vector<std::int64_t> weight_;
    std::vector<std::int64_t> current_;
    std::int64_t total_ = 0;
};

}  // namespace cello::inspector::loadgen
