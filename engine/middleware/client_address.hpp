// Who the client is: the peer address, or the address a trusted reverse proxy reports for it in
// X-Forwarded-For. Used by the rate limiter.
#pragma once

#include "engine/http_types.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cello::engine {

// An IPv4 or IPv6 address, IPv4 held in its IPv4-mapped IPv6 form (::ffff:a.b.c.d) so that
// "1.2.3.4" and "::ffff:1.2.3.4" (a dual-stack socket's view of it) are one address.
struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};
    bool is_v4() const noexcept;
    std::string to_string() const;
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// "1.2.3.4", "2001:db8::1", and the forms found in X-Forwarded-For: "1.2.3.4:5678",
// "[2001:db8::1]" and "[2001:db8::1]:443". Anything else (names, "unknown", garbage): nullopt.
std::optional<IpAddress> parse_ip(std::string_view text);

// An address or a CIDR block ("10.0.0.0/8", "fd00::/8"); a bare address is a /32 or /128.
struct IpNetwork {
    IpAddress base;
    unsigned prefix = 128;  // in bits of the 16-byte form (an IPv4 /8 is 96 + 8)
    bool contains(const IpAddress& a) const noexcept;
};
std::optional<IpNetwork> parse_network(std::string_view text);

// The client of `req`: the peer address unless the peer is in `trusted`; then X-Forwarded-For
// is read from the right (the entry the nearest proxy appended) past every trusted proxy, and the
// first untrusted address is the client. Entries further left were written by that client and
// could say anything. An unparsable entry ends the walk at the last address vouched for. At most
// kMaxForwardedHops entries are read.
inline constexpr unsigned kMaxForwardedHops = 32;
IpAddress client_address(const Request& req, const std::vector<IpNetwork>& trusted);

}  // namespace cello::engine
