// The requests of a run, serialized once, and the weighted choice between them.
#pragma once

#include "inspector/loadgen/load_config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cello::inspector::loadgen {

// The bytes of one request per target: method, path, Host, the configured headers, the body.
std::vector<std::string> serialize_requests(const LoadConfig& config);

// An HTTP/2 request's header fields, in order, names in lower case.
using HeaderFields = std::vector<std::pair<std::string, std::string>>;
// One per target: :method, :scheme, :authority (a Host header's value, else the URL's host and
// port), :path, then the configured headers except those HTTP/2 forbids (Host, Connection,
// Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, a TE other than "trailers"), and content-length where HTTP/1.1
// sends one (a body, or POST/PUT/PATCH) unless a Content-Length header is given.
std::vector<HeaderFields> http2_requests(const LoadConfig& config);

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
