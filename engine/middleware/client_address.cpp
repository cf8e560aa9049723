#include "engine/middleware/client_address.hpp"

// Asio's address parsing and printing: inet_pton/inet_ntop on every platform (POSIX, Winsock).
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace cello::engine {

namespace {

constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool all_digits(std::string_view s) noexcept {
    if (s.empty() || s.size() > 5) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

std::optional<IpAddress> pton(std::string_view s) {
    // (A zone, "fe80::1%eth0", is not an address here; inet_pton refuses it, Asio would not.)
    if (s.empty() || s.size() > 64 || s.find('%') != std::string_view::npos) return std::nullopt;
    boost::system::error_code ec;
    IpAddress a;
    if (s.find(':') == std::string_view::npos) {
        // Four dotted decimals and nothing else: Winsock would also take "1.2.3" and hex forms.
        if (std::count(s.begin(), s.end(), '.') != 3 || s.find_first_not_of("0123456789.") != std::string_view::npos)
            return std::nullopt;
        const auto v4 = boost::asio::ip::make_address_v4(std::string(s), ec);
        if (ec) return std::nullopt;
        const auto bytes = v4.to_bytes();
        std::memcpy(a.bytes.data(), kMappedPrefix, 12);
        std::memcpy(a.bytes.data() + 12, bytes.data(), 4);
        return a;
    }
    const auto v6 = boost::asio::ip::make_address_v6(std::string(s), ec);
    if (ec) return std::nullopt;
    const auto bytes = v6.to_bytes();
    std::memcpy(a.bytes.data(), bytes.data(), 16);
    return a;  // an IPv4-mapped IPv6 address is already in the shared form
}

}  // namespace

bool IpAddress::is_v4() const noexcept { return std::memcmp(bytes.data(), kMappedPrefix, 12) == 0; }

std::string IpAddress::to_string() const {
    if (is_v4()) {
        boost::asio::ip::address_v4::bytes_type v4;
        std::memcpy(v4.data(), bytes.data() + 12, 4);
        return boost::asio::ip::address_v4(v4).to_string();
    }
    boost::asio::ip::address_v6::bytes_type v6;
    std::memcpy(v6.data(), bytes.data(), 16);
    return boost::asio::ip::address_v6(v6).to_string();
}

std::optional<IpAddress> parse_ip(std::string_view s) {
    s = trim_ows(s);
    if (!s.empty() && s.front() == '[') {  // "[v6]" or "[v6]:port"
        const std::size_t close = s.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        const std::string_view rest = s.substr(close + 1);
        if (!rest.empty() && !(rest.front() == ':' && all_digits(rest.substr(1)))) return std::nullopt;
        return pton(s.substr(1, close - 1));
    }
    const std::size_t colon = s.find(':');
    if (colon != std::string_view::npos && s.find(':', colon + 1) == std::string_view::npos) {
        // Exactly one colon: IPv4 with a port ("1.2.3.4:5678").
        if (!all_digits(s.substr(colon + 1))) return std::nullopt;
        s = s.substr(0, colon);
    }
    return pton(s);
}

bool IpNetwork::contains(const IpAddress& a) const noexcept {
    const unsigned full = prefix / 8, bits = prefix % 8;
    if (std::memcmp(a.bytes.data(), base.bytes.data(), full) != 0) return false;
    if (bits == 0) return true;
    const std::uint8_t mask = static_cast<std::uint8_t>(0xff00 >> bits);
    return (a.bytes[full] & mask) == (base.bytes[full] & mask);
}

std::optional<IpNetwork> parse_network(std::string_view text) {
    text = trim_ows(text);
    const std::size_t slash = text.find('/');
    const auto addr = pton(text.substr(0, slash));
    if (!addr) return std::nullopt;
    IpNetwork net{*addr, 128};
    if (slash == std::string_view::npos) return net;
    const std::string_view bits = text.substr(slash + 1);
    unsigned n = 0;
    const auto r = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    const unsigned max = addr->is_v4() ? 32 : 128;
    if (bits.empty() || r.ec != std::errc{} || r.ptr != bits.data() + bits.size() || n > max) return std::nullopt;
    net.prefix = addr->is_v4() ? 96 + n : n;
    return net;
}

IpAddress client_address(const Request& req, const std::vector<IpNetwork>& trusted) {
    const IpAddress peer = parse_ip(req.client_ip).value_or(IpAddress{});
    const auto is_trusted = [&](const IpAddress& a) {
        for (const auto& n : trusted)
            if (n.contains(a)) return true;
        return false;
    };
    if (trusted.empty() || !is_trusted(peer)) return peer;
    IpAddress vouched = peer;
    unsigned hops = 0;
    // Several X-Forwarded-For lines form one list in order, so the last line holds its right end.
    for (std::size_t i = req.header_count; i-- > 0;) {
        if (!iequals(req.headers[i].name, "x-forwarded-for")) continue;
        std::string_view list = req.headers[i].value;
        while (true) {
            const std::size_t comma = list.rfind(',');
            const std::string_view item = trim_ows(comma == std::string_view::npos ? list : list.substr(comma + 1));
            if (!item.empty()) {
                if (++hops > kMaxForwardedHops) return vouched;
                const auto ip = parse_ip(item);
                if (!ip) return vouched;
                if (!is_trusted(*ip)) return *ip;
                vouched = *ip;
            }
            if (comma == std::string_view::npos) break;
            list = list.substr(0, comma);
        }
    }
    return vouched;  // every hop was a trusted proxy: the left-most one is as far as we can see
}

}  // namespace cello::engine
