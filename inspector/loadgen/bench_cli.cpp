#include "inspector/loadgen/bench_cli.hpp"

#include "inspector/loadgen/report.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace cello::inspector {

namespace loadgen {

const char* const kBenchUsage = R"(usage: cello bench URL [options]

Load-test an HTTP/1.1 server with keep-alive connections (natively, like wrk and wrk2), an
HTTP/2 server (like h2load), or a WebSocket endpoint with echoed messages.

  URL                   http://host[:port][/path] or https://... (TLS, a full handshake per
                        connection, the certificate not checked); or ws://host[:port][/path]:
                        each connection upgrades, then sends text messages and waits for their
                        echo (closed loop; --pipeline messages in flight); Messages/sec is the result
      --http2           speak HTTP/2: h2 by ALPN over https://, h2c with prior knowledge over
                        http://; --pipeline streams in flight per connection (h2load's -m)
  -c, --connections N   open connections, spread over the threads (default 10)
  -t, --threads N       threads, one event loop each (default 1)
  -d, --duration T      run time, e.g. 500ms, 10s, 2m (default 10s); per step with --ceiling
  -R, --rate R          open loop: R requests/s in total, latency counted from each request's
                        due time (coordinated omission corrected). Without -R: closed loop,
                        each connection as fast as it goes
  -m, --method M        request method (default GET)
  -H, --header 'K: V'   add a request header (repeatable)
      --body STR|@file  request body (Content-Length is added); @file reads a file
      --path P[:W]      request path P with weight W (default 1); repeat for a weighted mix.
                        Replaces the URL's path
      --pipeline N      requests in flight per connection (default 1); with --http2, streams
      --timeout T       a request (or connect) without answer after T is an error (default 2s)
      --message-size N  ws://: bytes per message (default 64)
      --ceiling         find the highest sustainable open-loop rate, then the latency at 50%,
                        75% and 90% of it (see docs/benchmarking.md)
      --max-p99 T       --ceiling: a step whose p99 exceeds T is not sustainable (default 100ms)
      --json            print JSON (with the full latency histogram) instead of text
  -h, --help            show this help

Exit status: 0 done, 1 the server cannot be reached, 2 bad arguments.
)";

namespace {

// Splits "-c50", "-c 50", "--connections=50", "--connections 50" into a name and a value.
class ArgReader {
public:
    explicit ArgReader(const std::vector<std::string>& args) : args_(args) {}
    bool done() const { return i_ >= args_.size(); }
    const std::string& peek() const { return args_[i_]; }
    void skip() { ++i_; }
    // If the current argument is option `shrt`/`lng` with a value, stores it and advances.
    bool take(const char* shrt, const char* lng, std::string& value, std::string& error) {
        const std::string& a = args_[i_];
        std::string inline_value;
        bool matched = false, has_inline = false;
        if (shrt && a.rfind(shrt, 0) == 0) {
            matched = true;
            has_inline = a.size() > std::char_traits<char>::length(shrt);
            if (has_inline) inline_value = a.substr(std::char_traits<char>::length(shrt));
        } else if (a == lng) {
            matched = true;
        } else if (a.rfind(std::string(lng) + "=", 0) == 0) {
            matched = has_inline = true;
            inline_value = a.substr(std::char_traits<char>::length(lng) + 1);
        }
        if (!matched) return false;
        ++i_;
        if (has_inline) {
            value = inline_value;
        } else if (i_ < args_.size()) {
            value = args_[i_++];
        } else {
            error = std::string("option ") + (shrt ? shrt : lng) + " needs a value";
            value.clear();
        }
        return true;
    }

private:
    const std::vector<std::string>& args_;
    std::size_t i_ = 0;
};

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

}  // namespace

ParseOutcome parse_bench_args(const std::vector<std::string>& args, BenchOptions& out, std::string& error) {
    ArgReader r(args);
    LoadConfig& c = out.config;
    std::vector<Target> paths;
    bool have_url = false, have_rate = false;
    auto fail = [&](std::string message) {
        error = std::move(message);
        return ParseOutcome::Error;
    };
    while (!r.done()) {
        std::string v;
        error.clear();
        const std::string& a = r.peek();
        if (a == "-h" || a == "--help") return ParseOutcome::Help;
        if (a == "--json") { out.json = true; r.skip(); continue; }
        if (a == "--ceiling") { out.ceiling = true; r.skip(); continue; }
        if (a == "--http2") { c.http2 = true; r.skip(); continue; }
        if (r.take("-c", "--connections", v, error)) {
            if (!error.empty()) return fail(error);
            auto n = parse_count(v, 1, 100000, error);
            if (!n) return fail("-c: " + error);
            c.connections = *n;
        } else if (r.take("-t", "--threads", v, error)) {
            if (!error.empty()) return fail(error);
            auto n = parse_count(v, 1, 256, error);
            if (!n) return fail("-t: " + error);
            c.threads = *n;
        } else if (r.take("-d", "--duration", v, error)) {
            if (!error.empty()) return fail(error);
            auto d = parse_duration(v, error);
            if (!d) return fail("-d: " + error);
            c.duration = *d;
        } else if (r.take("-R", "--rate", v, error)) {
            if (!error.empty()) return fail(error);
            auto rate = parse_rate(v, error);
            if (!rate) return fail("-R: " + error);
            c.rate = *rate;
            have_rate = true;
        } else if (r.take("-m", "--method", v, error)) {
            if (!error.empty()) return fail(error);
            c.method = v;
        } else if (r.take("-H", "--header", v, error)) {
            if (!error.empty()) return fail(error);
            auto h = parse_header(v, error);
            if (!h) return fail("-H: " + error);
            c.headers.push_back(std::move(*h));
        } else if (r.take(nullptr, "--body", v, error)) {
            if (!error.empty()) return fail(error);
            if (v.starts_with('@')) {
                if (!read_file(v.substr(1), c.body)) return fail("--body: cannot read file '" + v.substr(1) + "'");
            } else {
                c.body = v;
            }
        } else if (r.take(nullptr, "--path", v, error)) {
            if (!error.empty()) return fail(error);
            auto t = parse_target(v, error);
            if (!t) return fail("--path: " + error);
            paths.push_back(std::move(*t));
        } else if (r.take(nullptr, "--pipeline", v, error)) {
            if (!error.empty()) return fail(error);
            auto n = parse_count(v, 1, 1024, error);
            if (!n) return fail("--pipeline: " + error);
            c.pipeline = *n;
        } else if (r.take(nullptr, "--timeout", v, error)) {
            if (!error.empty()) return fail(error);
            auto d = parse_duration(v, error);
            if (!d) return fail("--timeout: " + error);
            c.timeout = *d;
        } else if (r.take(nullptr, "--message-size", v, error)) {
            if (!error.empty()) return fail(error);
            auto n = parse_count(v, 1, 16 * 1024 * 1024, error);
            if (!n) return fail("--message-size: " + error);
            c.message_size = *n;
        } else if (r.take(nullptr, "--max-p99", v, error)) {
            if (!error.empty()) return fail(error);
            auto d = parse_duration(v, error);
            if (!d) return fail("--max-p99: " + error);
            out.ceiling_config.max_p99 = *d;
        } else if (a.starts_with('-') && a.size() > 1) {
            return fail("unknown option '" + a + "'");
        } else {
            if (have_url) return fail("more than one URL ('" + out.url + "' and '" + a + "')");
            auto url = parse_url(a, error);
            if (!url) return fail(error);
            out.url = a;
            c.host = url->host;
            c.port = url->port;
            c.targets = {Target{url->path, 1}};
            c.websocket = url->websocket;
            c.tls = url->tls;
            have_url = true;
            r.skip();
        }
    }
    if (!have_url) return fail("no URL given");
    if (!paths.empty()) c.targets = std::move(paths);
    if (out.ceiling && have_rate) return fail("--ceiling finds the rate itself; drop -R");
    if (out.ceiling && c.websocket) return fail("--ceiling is for http:// URLs (it runs open loop)");
    if (auto problem = validate(c); !problem.empty()) return fail(problem);
    return ParseOutcome::Run;
}

}  // namespace loadgen

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) { g_interrupted = true; }

}  // namespace

int bench_main(int argc, char** argv) {
    using namespace loadgen;
    const std::vector<std::string> args(argv + std::min(argc, 2), argv + argc);
    BenchOptions opts;
    std::string error;
    switch (parse_bench_args(args, opts, error)) {
    case ParseOutcome::Help:
        std::fputs(kBenchUsage, stdout);
        return 0;
    case ParseOutcome::Error:
        std::fprintf(stderr, "cello bench: %s\n(see cello bench --help)\n", error.c_str());
        return 2;
    case ParseOutcome::Run:
        break;
    }
    const auto& c = opts.config;
    if (auto problem = probe_connect(c, c.timeout); !problem.empty()) {
        std::fprintf(stderr, "cello bench: %s\n", problem.c_str());
        return 1;
    }
    // Ctrl-C ends the run early and still prints what was measured (as wrk does).
    std::signal(SIGINT, on_sigint);
    try {
        if (opts.ceiling) {
            std::stop_source stop;
            std::jthread watcher([&stop](std::stop_token done) {
                while (!done.stop_requested() && !g_interrupted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
                if (g_interrupted) stop.request_stop();
            });
            const bool text = !opts.json;
            auto result = find_ceiling(c, opts.ceiling_config, [text](const CeilingStep& s) {
                if (text) std::fprintf(stderr, "  %s step: %.0f req/s\n", s.phase.c_str(), s.achieved_rate);
            }, stop.get_token());
            watcher.request_stop();
            const auto out = opts.json ? json_report(opts.url, result, opts.ceiling_config)
                                       : text_report(opts.url, result, opts.ceiling_config);
            std::fputs(out.c_str(), stdout);
            return 0;
        }
        LoadGenerator gen(c);
        gen.start();
        while (!gen.finished()) {
            if (g_interrupted) gen.stop();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        gen.wait();
        const auto out = opts.json ? json_report(opts.url, gen.result()) : text_report(opts.url, gen.result());
        std::fputs(out.c_str(), stdout);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cello bench: %s\n", e.what());
        return 1;
    }
}

}  // namespace cello::inspector
