#include "inspector/loadgen/load_config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace cello::inspector::loadgen {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<double> parse_number(std::string_view s) {
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

bool valid_token(std::string_view s) {  // RFC 9110 tchar, for methods and header names
    static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               extra.find(c) != std::string_view::npos;
    });
}

bool has_ctl(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

}  // namespace

std::optional<Url> parse_url(std::string_view text, std::string& error) {
    if (text.starts_with("wss://")) {
        error = "wss:// is not supported yet: ws:// (or https:// for HTTP over TLS)";
        return std::nullopt;
    }
    Url url;
    if (text.starts_with("http://")) {
        text.remove_prefix(7);
    } else if (text.starts_with("https://")) {
#if CELLO_TLS
        text.remove_prefix(8);
        url.tls = true;
        url.port = 443;
#else
        error = "https:// needs a build with TLS (Windows builds have none yet)";
        return std::nullopt;
#endif
    } else if (text.starts_with("ws://")) {
        text.remove_prefix(5);
        url.websocket = true;
    } else {
        error = "URL must start with http:// or https:// (or ws:// for a WebSocket)";
        return std::nullopt;
    }
    const auto slash = text.find_first_of("/?");
    std::string_view authority = text.substr(0, slash);
    if (slash != std::string_view::npos) {
        url.path = std::string(text.substr(slash));
        if (url.path.front() == '?') url.path.insert(url.path.begin(), '/');  // not insert(0, "/"): a false g++ 12 -Wrestrict
    }
    if (has_ctl(url.path) || url.path.find(' ') != std::string::npos) {
        error = "URL path must not contain spaces or control characters";
        return std::nullopt;
    }
    std::string_view host = authority;
    if (authority.starts_with('[')) {  // [::1]:8080
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            error = "unbalanced '[' in URL host";
            return std::nullopt;
        }
        host = authority.substr(1, close - 1);
        authority.remove_prefix(close + 1);
        if (!authority.empty() && authority.front() != ':') {
            error = "unexpected text after ']' in URL";
            return std::nullopt;
        }
    } else {
        const auto colon = authority.rfind(':');
        host = authority.substr(0, colon);
        authority = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
    }
    if (!authority.empty()) {  // ":port"
        const auto port = authority.substr(1);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (!all_digits(port) || ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
            error = "bad port in URL: '" + std::string(port) + "'";
            return std::nullopt;
        }
        url.port = static_cast<std::uint16_t>(value);
    }
    if (host.empty() || has_ctl(host) || host.find_first_of(" @/") != std::string_view::npos) {
        error = "URL has no usable host";
        return std::nullopt;
    }
    url.host = std::string(host);
    return url;
}

std::optional<Duration> parse_duration(std::string_view text, std::string& error) {
    struct Unit {
        std::string_view suffix;
        double ns;
    };
    // Longest suffixes first, so "ms" is not read as "s".
    static constexpr Unit units[] = {{"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    double scale = 1e9;
    std::string_view number = text;
    for (const auto& u : units) {
        if (text.ends_with(u.suffix)) {
            number = text.substr(0, text.size() - u.suffix.size());
            scale = u.ns;
            break;
        }
    }
    const auto value = parse_number(number);
    if (!value || *value <= 0 || *value * scale < 1e3 || *value * scale > 1e9 * 86400 * 365) {
        error = "bad duration '" + std::string(text) + "' (examples: 500ms, 10s, 2m)";
        return std::nullopt;
    }
    return Duration(static_cast<std::int64_t>(std::llround(*value * scale)));
}

std::optional<std::pair<std::string, std::string>> parse_header(std::string_view text, std::string& error) {
    const auto colon = text.find(':');
    const auto name = colon == std::string_view::npos ? std::string_view{} : trim(text.substr(0, colon));
    if (!valid_token(name) || name.size() != colon) {
        error = "bad header '" + std::string(text) + "' (expected 'Name: value')";
        return std::nullopt;
    }
    const auto value = trim(text.substr(colon + 1));
    if (has_ctl(value)) {
        error = "header value must not contain CR, LF or NUL";
        return std::nullopt;
    }
    return std::pair{std::string(name), std::string(value)};
}

std::optional<Target> parse_target(std::string_view text, std::string& error) {
    Target target;
    std::string_view path = text;
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos && all_digits(text.substr(colon + 1))) {
        const auto weight = text.substr(colon + 1);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(weight.data(), weight.data() + weight.size(), value);
        if (ec != std::errc{} || value == 0 || value > 1'000'000) {
            error = "bad weight in '" + std::string(text) + "' (a whole number from 1 to 1000000)";
            return std::nullopt;
        }
        target.weight = value;
        path = text.substr(0, colon);
    }
    if (!path.starts_with('/') || has_ctl(path) || path.find(' ') != std::string_view::npos) {
        error = "bad path '" + std::string(path) + "' (must start with '/', no spaces)";
        return std::nullopt;
    }
    target.path = std::string(path);
    return target;
}

std::optional<unsigned> parse_count(std::string_view text, unsigned lo, unsigned hi, std::string& error) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!all_digits(text) || ec != std::errc{} || end != text.data() + text.size() || value < lo || value > hi) {
        error = "bad number '" + std::string(text) + "' (expected " + std::to_string(lo) + ".." + std::to_string(hi) + ")";
        return std::nullopt;
    }
    return value;
}

std::optional<double> parse_rate(std::string_view text, std::string& error) {
    const auto value = parse_number(text);
    if (!value || *value < kMinRate || *value > 1e9) {
        error = "bad rate '" + std::string(text) + "' (requests per second, at least 0.001)";
        return std::nullopt;
    }
    return value;
}

std::string validate(const LoadConfig& c) {
    if (c.host.empty()) return "no host";
    if (c.port == 0) return "port 0";
    if (c.targets.empty()) return "no target path";
    for (const auto& t : c.targets) {
        if (t.weight == 0) return "target " + t.path + " has weight 0";
        if (!t.path.starts_with('/')) return "target path " + t.path + " must start with '/'";
    }
    if (!valid_token(c.method)) return "bad method '" + c.method + "'";
    if (c.threads == 0) return "threads must be at least 1";
    if (c.connections < c.threads) return "connections must be at least the number of threads";
    if (c.pipeline == 0) return "pipeline depth must be at least 1";
    if (c.duration <= Duration::zero()) return "duration must be positive";
    if (c.timeout <= Duration::zero()) return "timeout must be positive";
    if (c.rate < 0 || !std::isfinite(c.rate)) return "rate must be positive (or 0 for closed loop)";
    if (c.rate > 0 && c.rate < kMinRate) return "rate must be at least 0.001 requests per second (or 0 for closed loop)";
    if (c.http2 && !CELLO_HTTP2) return "--http2 needs a build with HTTP/2 (Windows builds have none yet)";
    if (c.http2 && c.websocket) return "--http2 is for http:// and https:// URLs";
    if (c.websocket) {
        if (c.rate > 0) return "a WebSocket run is closed loop only (no -R)";
        if (c.targets.size() > 1) return "a WebSocket run has one path (the URL's)";
        if (c.method != "GET" || !c.body.empty()) return "a WebSocket run sends messages, not a method or a body";
        if (c.message_size == 0 || c.message_size > 16 * 1024 * 1024) return "message size must be 1 byte to 16 MiB";
    }
    return {};
}

}  // namespace cello::inspector::loadgen
