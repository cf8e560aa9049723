// What a load run does: where, how hard, which requests. Plain data plus the parsers the CLI and
// the GUI share (durations like "10s", headers like "K: V", paths like "/a:3", URLs).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cello::inspector::loadgen {

// Slower open-loop rates would put a request's due time beyond what the clock can represent.
inline constexpr double kMinRate = 0.001;

using Duration = std::chrono::nanoseconds;

// One path of the mix; `weight` is relative to the other targets' weights.
struct Target {
    std::string path = "/";
    unsigned weight = 1;
};

struct LoadConfig {
    std::string host = "127.0.0.1";
    std::uint16_t port = 80;
    std::vector<Target> targets{Target{}};
    std::string method = "GET";
    std::vector<std::pair<std::string, std::string>> headers;  // sent on every request
    std::string body;                                          // sent with Content-Length when non-empty
    unsigned connections = 10;
    unsigned threads = 1;
    Duration duration = std::chrono::seconds(10);
    // 0: closed loop (every connection as fast as it goes). > 0: open loop at this total rate in
    // requests per second, latency measured from when each request was due.
    double rate = 0;
    unsigned pipeline = 1;                           // requests in flight per connection
    Duration timeout = std::chrono::seconds(2);      // per request (and per connect)
    // WebSocket (a ws:// URL): each connection upgrades on the first target's path, then sends
    // text messages of `message_size` bytes and waits for their echo (closed loop, `pipeline`
    // in flight); a message and its echo are what a request and its answer are for HTTP.
    bool websocket = false;
    std::size_t message_size = 64;
    // https://: every connection does a full TLS handshake (no session resumption, like a new
    // client each time) and does not verify the server's certificate (a load generator, as wrk).
    bool tls = false;
    // HTTP/2 (--http2): h2 by ALPN over https://, h2c with prior knowledge over http://. Each
    // connection keeps `pipeline` streams open at once (h2load's -m).
    bool http2 = false;
};

// The host, port and path of an http:// (or ws://) URL.
struct Url {
    std::string host;
    std::uint16_t port = 80;
    std::string path = "/";  // with the query, if any
    bool websocket = false;  // ws://
    bool tls = false;        // https:// (port 443 unless given)
};

// Each parser returns the value, or std::nullopt and a message in `error`.
std::optional<Url> parse_url(std::string_view text, std::string& error);
// "250ms", "2s", "1.5m", "10" (seconds), "1h"; at least 1 µs.
std::optional<Duration> parse_duration(std::string_view text, std::string& error);
// "Name: value" (spaces around the value trimmed).
std::optional<std::pair<std::string, std::string>> parse_header(std::string_view text, std::string& error);
// "/path" or "/path:weight" (weight a positive integer; a trailing ":digits" is always a weight).
std::optional<Target> parse_target(std::string_view text, std::string& error);
// A positive integer within [lo, hi].
std::optional<unsigned> parse_count(std::string_view text, unsigned lo, unsigned hi, std::string& error);
// A positive finite number (requests per second).
std::optional<double> parse_rate(std::string_view text, std::string& error);

// Empty when the config can run; otherwise what is wrong with it.
std::string validate(const LoadConfig& config);

}  // namespace cello::inspector::loadgen
