// The HTTP layer for real: an engine::Server on an ephemeral loopback port with native handlers,
// driven by plain POSIX sockets. Also dispatch() on its own, without a socket.
#include "engine/dispatch.hpp"
#include "engine/handler.hpp"
#include "engine/pending_response.hpp"
#include "engine/route_table.hpp"
#include "engine/server.hpp"
#include "engine/thread_reactor.hpp"

#include <gtest/gtest.h>

#include "test_socket.hpp"

#ifndef _WIN32
#include <sys/socket.h>  // accept, recv (Winsock's come with Asio's headers)
#include <unistd.h>      // close
#endif

#include <atomic>
#include <charconv>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

using namespace cello::engine;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

namespace {

// How long the client waits for an answer or a close that should come promptly. Waits end as soon
// as it comes, so this costs nothing when the server works; it is generous because CI runs the
// tests on a loaded 2-core machine. Bounds on how long something may take are kept well below the
// server timeouts they tell apart (set to 10 s where that matters), never near "idle machine" times.
constexpr Ms kWait = 10000ms;
// How long a held handler waits for the test before giving up: longer than any wait or bound
// above, so a server that waits for a held handler fails the test instead of passing late.
constexpr Ms kGiveUp = 30000ms;

// Lets a test hold handlers instead of sleeping for a guessed time: a handler arrives and waits
// until the test opens the gate (hold) or until `n` handlers are inside at once (meet).
class Gate {
public:
    // Blocks the calling handler until open() (true) or kGiveUp (false).
    bool hold() {
        std::unique_lock lock(mutex_);
        ++inside_;
        changed_.notify_all();
        return changed_.wait_for(lock, kGiveUp, [&] { return open_; });
    }
    // Blocks until `n` handlers are inside meet() at the same time (true) or kGiveUp (false).
    bool meet(int n) {
        std::unique_lock lock(mutex_);
        ++inside_;
        changed_.notify_all();
        return changed_.wait_for(lock, kGiveUp, [&] { return inside_ >= n; });
    }
    // For the test: true once `n` handlers arrived, false after `timeout`.
    bool wait_inside(int n, Ms timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return inside_ >= n; });
    }
    void open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int inside_ = 0;
    bool open_ = false;
};

// ---- handlers and route tables --------------------------------------------------------------

using HandlerFn = std::function<void(const Request&, Response&)>;

class FnHandler final : public Handler {
public:
    explicit FnHandler(HandlerFn fn) : fn_(std::move(fn)) {}
    void handle(const Request& req, Response& res) override { fn_(req, res); }

private:
    HandlerFn fn_;
};

void add_route(RouteTable& table, Method method, std::string pattern, HandlerFn fn) {
    Route r;
    r.method = method;
    r.name = pattern;
    r.pattern = std::move(pattern);
    r.handler = std::make_shared<FnHandler>(std::move(fn));
    table.add(std::move(r));
}

void reply_text(Response& res, std::string body) {
    res.content_type = "text/plain";
    res.body = std::move(body);
}

// "GET /echo/abc name=abc ?x=1": what the handler saw of method, decoded path, params and query.
std::string describe(const Request& req) {
    std::string s;
    s.append(req.method).append(" ").append(req.path);
    for (std::size_t i = 0; i < req.match.param_count; ++i)
        s.append(" ").append(req.match.params[i].name).append("=").append(req.match.params[i].value);
    if (!req.query.empty()) s.append(" ?").append(req.query);
    return s;
}

// A streamed body from fixed pieces; optionally throws once they are used up.
class PieceSource final : public BodySource {
public:
    PieceSource(std::vector<std::string> pieces, bool fail_at_end) : pieces_(std::move(pieces)), fail_(fail_at_end) {}
    bool next(std::string& chunk) override {
        if (next_ == pieces_.size()) {
            if (fail_) throw std::runtime_error("generator failed");
            return false;
        }
        chunk = pieces_[next_++];
        return true;
    }

private:
    std::vector<std::string> pieces_;
    std::size_t next_ = 0;
    bool fail_;
};

HandlerFn streaming(std::vector<std::string> pieces, bool fail_at_end = false) {
    return [pieces = std::move(pieces), fail_at_end](const Request&, Response& res) {
        res.content_type = "text/plain";
        res.stream = std::make_unique<PieceSource>(pieces, fail_at_end);
    };
}

// The routes every server test uses; `version` tells tables apart for the hot-swap test.
std::shared_ptr<RouteTable> make_routes(const std::string& version = "v1") {
    auto t = std::make_shared<RouteTable>();
    add_route(*t, Method::Get, "/echo/{name}", [](const Request& req, Response& res) { reply_text(res, describe(req)); });
    add_route(*t, Method::Post, "/echo", [](const Request& req, Response& res) { reply_text(res, std::string(req.body)); });
    add_route(*t, Method::Get, "/throw", [](const Request&, Response&) { throw std::runtime_error("boom"); });
    add_route(*t, Method::Post, "/items", [](const Request&, Response& res) {
        res.status = 201;
        reply_text(res, "created");
    });
    add_route(*t, Method::Get, "/header", [](const Request& req, Response& res) {
        reply_text(res, std::string(req.header("x-test")) + " " + std::string(req.client_ip));
    });
    add_route(*t, Method::Get, "/version", [version](const Request&, Response& res) { reply_text(res, version); });
    add_route(*t, Method::Get, "/stream", streaming({"alpha,", "", "beta,", std::string(300, 'g')}));
    add_route(*t, Method::Get, "/stream-fail", streaming({"part1"}, true));
    add_route(*t, Method::Get, "/only/" + version, [](const Request&, Response& res) { reply_text(res, "here"); });
    return t;
}

// ---- a blocking HTTP/1.1 client on a POSIX socket -------------------------------------------

struct Reply {
    std::string version;  // "HTTP/1.1"
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;

    std::optional<std::string> header(std::string_view name) const {
        for (const auto& [n, v] : headers)
            if (n == name) return v;
        return std::nullopt;
    }
};

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return s;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

bool status_has_no_body(int status) { return (status >= 100 && status < 200) || status == 204 || status == 304; }

class Client {
public:
    explicit Client(std::uint16_t port) : connection_(port) {}
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool connected() const { return connection_.connected(); }

    bool send(std::string_view data) { return connection_.send(data); }

    // One response (interim 1xx included). `head` says the request was HEAD, so no body follows.
    // nullopt when no complete response arrives within `timeout` or the connection ends first.
    std::optional<Reply> read(bool head = false, Ms timeout = kWait) {
        const auto deadline = Clock::now() + timeout;
        std::size_t end;
        while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
            if (!fill(deadline)) return std::nullopt;
        Reply r;
        if (!parse_head(std::string_view(buf_).substr(0, end), r)) return std::nullopt;
        buf_.erase(0, end + 4);
        if (head || status_has_no_body(r.status)) return r;
        if (r.header("transfer-encoding") == "chunked") {
            if (!read_chunked(deadline, r.body)) return std::nullopt;
        } else if (const auto len = r.header("content-length")) {
            std::size_t n = 0;
            if (std::from_chars(len->data(), len->data() + len->size(), n).ptr != len->data() + len->size())
                return std::nullopt;
            while (buf_.size() < n)
                if (!fill(deadline)) return std::nullopt;
            r.body = buf_.substr(0, n);
            buf_.erase(0, n);
        } else {  // delimited by the end of the connection
            while (fill(deadline)) {
            }
            if (!eof_) return std::nullopt;
            r.body = std::exchange(buf_, {});
        }
        return r;
    }

    // True when the server ends the connection (EOF or reset) within `timeout`.
    bool wait_closed(Ms timeout) {
        const auto deadline = Clock::now() + timeout;
        while (fill(deadline)) {
        }
        return eof_;
    }

    // Bytes received but not consumed by read().
    const std::string& pending() const { return buf_; }

private:
    bool fill(Clock::time_point deadline) {
        if (eof_) return false;
        switch (connection_.receive(buf_, deadline)) {
            case cello::test::TestConnection::Got::Data: return true;
            case cello::test::TestConnection::Got::Timeout: return false;
            case cello::test::TestConnection::Got::Closed: eof_ = true; return false;  // orderly close or reset
        }
        return false;
    }

    // Decodes a chunked body (no trailers expected); false when it does not end in time.
    bool read_chunked(Clock::time_point deadline, std::string& body) {
        for (;;) {
            std::size_t eol;
            while ((eol = buf_.find("\r\n")) == std::string::npos)
                if (!fill(deadline)) return false;
            std::size_t size = 0;
            const auto [end, ec] = std::from_chars(buf_.data(), buf_.data() + eol, size, 16);
            if (ec != std::errc() || (end != buf_.data() + eol && *end != ';')) return false;
            while (buf_.size() < eol + 2 + size + 2)
                if (!fill(deadline)) return false;
            if (buf_.compare(eol + 2 + size, 2, "\r\n") != 0) return false;
            body.append(buf_, eol + 2, size);
            buf_.erase(0, eol + 2 + size + 2);
            if (size == 0) return true;
        }
    }

    static bool parse_head(std::string_view head, Reply& r) {
        std::size_t eol = head.find("\r\n");
        const std::string_view status_line = head.substr(0, eol);
        const std::size_t sp = status_line.find(' ');
        if (sp == std::string_view::npos || status_line.size() < sp + 4) return false;
        r.version = std::string(status_line.substr(0, sp));
        const std::string_view code = status_line.substr(sp + 1, 3);
        if (std::from_chars(code.data(), code.data() + code.size(), r.status).ptr != code.data() + code.size())
            return false;
        while (eol != std::string_view::npos) {
            head.remove_prefix(eol + 2);
            eol = head.find("\r\n");
            const std::string_view line = head.substr(0, eol);
            const std::size_t colon = line.find(':');
            if (colon == std::string_view::npos) return false;
            r.headers.emplace_back(lower(std::string(line.substr(0, colon))), trim(line.substr(colon + 1)));
        }
        return true;
    }

    cello::test::TestConnection connection_;
    std::string buf_;
    bool eof_ = false;
};

std::string request(std::string_view method, std::string_view target, std::string_view extra_headers = {},
                    std::optional<std::string_view> body = std::nullopt) {
    std::string r = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n";
    r += extra_headers;
    if (body) r += "Content-Length: " + std::to_string(body->size()) + "\r\n";
    r += "\r\n";
    if (body) r += *body;
    return r;
}

std::string get(std::string_view target, std::string_view extra_headers = {}) {
    return request("GET", target, extra_headers);
}

std::string post(std::string_view target, std::string_view body) { return request("POST", target, {}, body); }

// Options with short timeouts so the suite runs in seconds.
ServerOptions test_options() {
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.header_timeout = 2s;
    o.keepalive_timeout = 2s;
    o.write_timeout = 2s;
    o.drain_timeout = 2s;
    return o;
}

// A started server; stopped and joined on destruction (declare clients after it).
struct Running {
    explicit Running(ServerOptions options = test_options(), std::shared_ptr<const RouteTable> table = make_routes())
        : routes(std::make_shared<RouteTableHolder>(std::move(table))), server(std::move(options), routes) {
        server.start();
    }
    ~Running() {
        server.stop();
        server.join();
    }
    std::uint16_t port() const { return server.port(); }

    std::shared_ptr<RouteTableHolder> routes;
    Server server;
};

// Sends one request on `c` and reads its response.
std::optional<Reply> roundtrip(Client& c, const std::string& req, bool head = false) {
    if (!c.send(req)) return std::nullopt;
    return c.read(head);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

constexpr std::string_view kNotFoundBody = R"({"error":"Not Found","status":404,"detail":null})";

}  // namespace

// ---- dispatch(), without a socket -----------------------------------------------------------

namespace {

struct Dispatched {
    Response res;
    bool head_only = false;
    std::string path, raw_path, query;
};

Dispatched run_dispatch(const RouteTable& table, std::string_view method, std::string_view target) {
    Dispatched d;
    Request req;
    req.method = method;
    req.target = target;
    DispatchScratch scratch;
    Exchange ex(table, req, d.res);
    d.head_only = dispatch(ex, scratch);
    d.path = std::string(req.path);
    d.raw_path = std::string(req.raw_path);
    d.query = std::string(req.query);
    return d;
}

std::string allow_of(const Response& res) {
    for (const auto& [n, v] : res.headers)
        if (n == "Allow") return v;
    return "<none>";
}

}  // namespace

TEST(Request, ResetIsADefaultRequest) {
    static const Header h{"a", "b"};
    Request r;
    r.method = "GET";
    r.target = r.raw_path = r.path = "/x?y";
    r.query = "y";
    r.headers = &h;
    r.header_count = 1;
    r.body = "body";
    r.match.param_count = 1;
    r.match.route = reinterpret_cast<const Route*>(&h);
    r.client_ip = "1.2.3.4";
    r.client_port = 9;
    r.version = 10;
    r.id = "id";
    r.trace = cello::engine::TraceLevel::Records;
    r.reset();
    const Request d;
    for (auto [got, want] : {std::pair{r.method, d.method}, {r.target, d.target}, {r.raw_path, d.raw_path},
                             {r.path, d.path}, {r.query, d.query}, {r.body, d.body}, {r.client_ip, d.client_ip},
                             {r.id, d.id}})
        EXPECT_EQ(got.data(), want.data());
    EXPECT_EQ(r.headers, nullptr);
    EXPECT_EQ(r.header_count, 0u);
    EXPECT_EQ(r.match.route, nullptr);
    EXPECT_EQ(r.match.param_count, 0u);
    EXPECT_EQ(r.client_port, 0);
    EXPECT_EQ(r.version, 11u);
    EXPECT_EQ(r.trace, cello::engine::TraceLevel::Off);
}

TEST(Dispatch, SplitsTargetAndDecodesPath) {
    const auto table = make_routes();
    const auto d = run_dispatch(*table, "GET", "/echo/a%20b?x=1&y=%20");
    EXPECT_EQ(d.res.status, 200);
    EXPECT_EQ(d.raw_path, "/echo/a%20b");
    EXPECT_EQ(d.path, "/echo/a b");
    EXPECT_EQ(d.query, "x=1&y=%20");
    EXPECT_EQ(d.res.body, "GET /echo/a b name=a b ?x=1&y=%20");
    EXPECT_FALSE(d.head_only);
}

TEST(Dispatch, RejectsTargetsThatAreNotPaths) {
    const auto table = make_routes();
    EXPECT_EQ(run_dispatch(*table, "GET", "echo/x").res.status, 400);
    EXPECT_EQ(run_dispatch(*table, "GET", "").res.status, 400);
}

TEST(Dispatch, RejectsBadPathEncoding) {
    const auto table = make_routes();
    for (const char* target : {"/echo/%zz", "/echo/%4", "/echo/%00", "/echo/%FF", "/echo/%C3%28"}) {
        const auto d = run_dispatch(*table, "GET", target);
        EXPECT_EQ(d.res.status, 400) << target;
        EXPECT_EQ(d.res.content_type, "application/json") << target;
    }
}

TEST(Dispatch, HeadOfGetRouteDropsBody) {
    const auto table = make_routes();
    const auto d = run_dispatch(*table, "HEAD", "/echo/x");
    EXPECT_EQ(d.res.status, 200);
    EXPECT_TRUE(d.head_only);
}

TEST(Dispatch, HeadAnsweredWithErrorStillDropsBody) {
    const auto table = make_routes();
    const auto nf = run_dispatch(*table, "HEAD", "/missing");
    EXPECT_EQ(nf.res.status, 404);
    EXPECT_TRUE(nf.head_only);
    const auto na = run_dispatch(*table, "HEAD", "/items");  // POST-only route
    EXPECT_EQ(na.res.status, 405);
    EXPECT_EQ(allow_of(na.res), "POST, OPTIONS");
    EXPECT_TRUE(na.head_only) << "a HEAD response must never carry a body, 405 included";
}

TEST(Dispatch, OptionsAndUnknownMethods) {
    const auto table = make_routes();
    const auto opt = run_dispatch(*table, "OPTIONS", "/echo/x");
    EXPECT_EQ(opt.res.status, 204);
    EXPECT_EQ(allow_of(opt.res), "GET, HEAD, OPTIONS");
    EXPECT_EQ(run_dispatch(*table, "OPTIONS", "/missing").res.status, 404);
    const auto brew = run_dispatch(*table, "BREW", "/items");
    EXPECT_EQ(brew.res.status, 405);
    EXPECT_EQ(allow_of(brew.res), "POST, OPTIONS");
    EXPECT_EQ(run_dispatch(*table, "BREW", "/missing").res.status, 404);
    EXPECT_EQ(run_dispatch(*table, "get", "/echo/x").res.status, 405) << "methods are case-sensitive";
}

TEST(Dispatch, HandlerExceptionsBecome500) {
    const auto table = make_routes();
    const auto d = run_dispatch(*table, "GET", "/throw");
    EXPECT_EQ(d.res.status, 500);
    EXPECT_EQ(d.res.body, R"({"error":"Internal Server Error","status":500,"detail":"boom"})");
}

// ---- the server on a socket -----------------------------------------------------------------

TEST(HttpServer, ServesOnEphemeralPort) {
    Running srv;
    ASSERT_NE(srv.port(), 0);
    Client c(srv.port());
    ASSERT_TRUE(c.connected());
    const auto r = roundtrip(c, get("/echo/abc?x=1"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->version, "HTTP/1.1");
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "GET /echo/abc name=abc ?x=1");
    EXPECT_EQ(r->header("content-type"), "text/plain");
    EXPECT_EQ(r->header("server"), "cello");
    EXPECT_TRUE(r->header("date").has_value());
    EXPECT_FALSE(r->header("connection").has_value());
}

TEST(HttpServer, RequestSeesHeadersCaseInsensitivelyAndClientAddress) {
    Running srv;
    Client c(srv.port());
    const auto r = roundtrip(c, get("/header", "X-TEST: yes\r\n"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "yes 127.0.0.1");
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
    Running srv;
    Client c(srv.port());
    for (int i = 0; i < 5; ++i) {
        const auto r = roundtrip(c, get("/echo/n" + std::to_string(i)));
        ASSERT_TRUE(r) << "request " << i;
        EXPECT_EQ(r->body, "GET /echo/n" + std::to_string(i) + " name=n" + std::to_string(i));
    }
    const auto p = roundtrip(c, post("/echo", "payload"));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->body, "payload");
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
    Running srv;
    Client c(srv.port());
    ASSERT_TRUE(c.send(get("/echo/first") + post("/echo", "second") + get("/echo/third")));
    const auto a = c.read(), b = c.read(), d = c.read();
    ASSERT_TRUE(a && b && d);
    EXPECT_EQ(a->body, "GET /echo/first name=first");
    EXPECT_EQ(b->body, "second");
    EXPECT_EQ(d->body, "GET /echo/third name=third");
}

TEST(HttpServer, RequestsSplitAcrossManyWritesAreReassembled) {
    Running srv;
    Client c(srv.port());
    const std::string wire = post("/echo", "split body") + get("/echo/z");
    for (std::size_t i = 0; i < wire.size(); i += 7) {
        ASSERT_TRUE(c.send(std::string_view(wire).substr(i, 7)));
        std::this_thread::sleep_for(1ms);
    }
    const auto a = c.read(), b = c.read();
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->body, "split body");
    EXPECT_EQ(b->body, "GET /echo/z name=z");
}

TEST(HttpServer, HeadIsAnsweredForGetRoutesWithLengthButNoBody) {
    Running srv;
    Client c(srv.port());
    const auto h = roundtrip(c, request("HEAD", "/echo/abc"), /*head=*/true);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
    EXPECT_EQ(h->header("content-length"), std::to_string(std::string_view("HEAD /echo/abc name=abc").size()));
    // Had a body been sent, it would now be read as the start of the next response.
    const auto g = roundtrip(c, get("/echo/next"));
    ASSERT_TRUE(g);
    EXPECT_EQ(g->status, 200);
    EXPECT_EQ(g->body, "GET /echo/next name=next");
}

TEST(HttpServer, HeadOfUnknownPathIs404WithoutBody) {
    Running srv;
    Client c(srv.port());
    const auto h = roundtrip(c, request("HEAD", "/missing"), true);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 404);
    EXPECT_EQ(h->header("content-length"), std::to_string(kNotFoundBody.size()));
    const auto g = roundtrip(c, get("/echo/next"));
    ASSERT_TRUE(g);
    EXPECT_EQ(g->status, 200) << "stray bytes after the HEAD response: " << g->version;
}

TEST(HttpServer, HeadOfPostOnlyRouteIs405WithoutBody) {
    Running srv;
    Client c(srv.port());
    const auto h = roundtrip(c, request("HEAD", "/items"), true);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 405);
    EXPECT_EQ(h->header("allow"), "POST, OPTIONS");
    const auto g = roundtrip(c, get("/echo/next"));
    ASSERT_TRUE(g) << "no parsable response after HEAD 405; bytes seen: " << c.pending();
    EXPECT_EQ(g->status, 200);
    EXPECT_EQ(g->body, "GET /echo/next name=next") << "the HEAD 405 response carried a body";
}

TEST(HttpServer, OptionsIsAnsweredAutomaticallyWithAllow) {
    Running srv;
    Client c(srv.port());
    const auto a = roundtrip(c, request("OPTIONS", "/items"));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 204);
    EXPECT_EQ(a->header("allow"), "POST, OPTIONS");
    EXPECT_FALSE(a->header("content-length").has_value());
    const auto b = roundtrip(c, request("OPTIONS", "/echo/x"));
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 204);
    EXPECT_EQ(b->header("allow"), "GET, HEAD, OPTIONS");
    const auto n = roundtrip(c, request("OPTIONS", "/missing"));
    ASSERT_TRUE(n);
    EXPECT_EQ(n->status, 404);
}

TEST(HttpServer, UnknownPathIs404AndWrongMethodIs405WithAllow) {
    Running srv;
    Client c(srv.port());
    const auto nf = roundtrip(c, get("/missing"));
    ASSERT_TRUE(nf);
    EXPECT_EQ(nf->status, 404);
    EXPECT_EQ(nf->header("content-type"), "application/json");
    EXPECT_EQ(nf->body, kNotFoundBody);

    const auto na = roundtrip(c, request("DELETE", "/items"));
    ASSERT_TRUE(na);
    EXPECT_EQ(na->status, 405);
    EXPECT_EQ(na->header("allow"), "POST, OPTIONS");
    EXPECT_EQ(na->body, R"({"error":"Method Not Allowed","status":405,"detail":null})");

    const auto ok = roundtrip(c, request("POST", "/items", {}, ""));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 201);
    EXPECT_EQ(ok->body, "created");
}

TEST(HttpServer, HandlerExceptionIs500AndConnectionSurvives) {
    Running srv;
    Client c(srv.port());
    const auto r = roundtrip(c, get("/throw"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(r->body, R"({"error":"Internal Server Error","status":500,"detail":"boom"})");
    const auto next = roundtrip(c, get("/echo/after"));
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST(HttpServer, PercentEncodedPaths) {
    Running srv;
    Client c(srv.port());
    const auto ok = roundtrip(c, get("/echo/%41b%20c"));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->body, "GET /echo/Ab c name=Ab c");
    const auto bad = roundtrip(c, get("/echo/%zz"));
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_EQ(bad->body, R"({"error":"Bad Request","status":400,"detail":"bad percent-encoding in path"})");
    const auto after = roundtrip(c, get("/echo/x"));
    ASSERT_TRUE(after) << "a bad path is not a protocol error: the connection stays usable";
    EXPECT_EQ(after->status, 200);
}

TEST(HttpServer, MalformedRequestLineIs400AndCloses) {
    Running srv;
    Client c(srv.port());
    const auto r = roundtrip(c, "this is not http\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_EQ(r->header("content-type"), "application/json");
    EXPECT_TRUE(c.wait_closed(kWait));
}

TEST(HttpServer, OversizedHeaderIs431AndCloses) {
    auto o = test_options();
    o.max_header_bytes = 1024;
    Running srv(o);
    Client c(srv.port());
    const auto small = roundtrip(c, get("/echo/x", "X-Fill: " + std::string(500, 'a') + "\r\n"));
    ASSERT_TRUE(small);
    EXPECT_EQ(small->status, 200) << "a header under the limit is accepted";
    const auto r = roundtrip(c, get("/echo/x", "X-Big: " + std::string(2000, 'a') + "\r\n"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.wait_closed(kWait));
}

TEST(HttpServer, OversizedBodyIs413AndCloses) {
    auto o = test_options();
    o.max_body_bytes = 64;
    Running srv(o);
    Client c(srv.port());
    const auto at_limit = roundtrip(c, post("/echo", std::string(64, 'b')));
    ASSERT_TRUE(at_limit);
    EXPECT_EQ(at_limit->status, 200);
    EXPECT_EQ(at_limit->body.size(), 64u);
    // Announce one byte too many; the server must answer from the header alone.
    const auto r = roundtrip(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 65\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.wait_closed(kWait));
}

TEST(HttpServer, ChunkedRequestBodyIsReassembled) {
    Running srv;
    Client c(srv.port());
    const auto r = roundtrip(c,
                             "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "5\r\nhello\r\n1\r\n \r\nA;ext=1\r\n0123456789\r\n0\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello 0123456789");
    const auto next = roundtrip(c, get("/echo/after"));
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST(HttpServer, ChunkedBodyOverLimitIs413) {
    auto o = test_options();
    o.max_body_bytes = 16;
    Running srv(o);
    Client c(srv.port());
    const auto r = roundtrip(c,
                             "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "10\r\n0123456789abcdef\r\n1\r\nX\r\n0\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
}

TEST(HttpServer, ExpectContinueGetsInterim100) {
    Running srv;
    Client c(srv.port());
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
    const auto interim = c.read(false, kWait);
    EXPECT_TRUE(interim) << "no interim response to a complete header with Expect: 100-continue";
    if (interim) {
        EXPECT_EQ(interim->status, 100);
    }
    // Send the body either way and check the final answer.
    ASSERT_TRUE(c.send("hello"));
    const auto final_reply = c.read();
    ASSERT_TRUE(final_reply);
    EXPECT_EQ(final_reply->status, 200);
    EXPECT_EQ(final_reply->body, "hello");
}

TEST(HttpServer, ExpectContinueWithPartOfTheBodyAlreadySent) {
    // The server may skip the 100 here (RFC 9110 10.1.1); either way one final answer follows.
    Running srv;
    Client c(srv.port());
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhe"));
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(c.send("llo"));
    auto reply = c.read();
    if (reply && reply->status == 100) reply = c.read();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, "hello");
    const auto next = roundtrip(c, get("/echo/after"));
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST(HttpServer, HalfAHeaderTimesOutWith408AndCloses) {
    auto o = test_options();
    o.header_timeout = 1s;
    o.keepalive_timeout = o.write_timeout = o.drain_timeout = 10s;  // so that only the header timeout fits below
    Running srv(o);
    Client c(srv.port());
    const auto start = Clock::now();
    ASSERT_TRUE(c.send("GET /echo/x HTTP/1.1\r\nHost: t\r\nX-Partial: "));
    const auto r = c.read(false, kWait);
    ASSERT_TRUE(r) << "no answer within 10 s";
    EXPECT_EQ(r->status, 408);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.wait_closed(kWait));
    const double took = seconds_since(start);
    EXPECT_GE(took, 0.9);
    EXPECT_LT(took, 5.0) << "not the 1 s header timeout (the others are 10 s)";
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosed) {
    auto o = test_options();
    o.keepalive_timeout = 1s;
    o.header_timeout = o.write_timeout = o.drain_timeout = 10s;  // so that only the keep-alive timeout fits below
    Running srv(o);
    Client c(srv.port());
    ASSERT_TRUE(roundtrip(c, get("/echo/x")));
    const auto idle_from = Clock::now();
    EXPECT_TRUE(c.wait_closed(5000ms)) << "idle connection still open after 5 s (keep-alive timeout 1 s)";
    EXPECT_GE(seconds_since(idle_from), 0.9);
    EXPECT_EQ(c.pending(), "") << "closing an idle connection sends nothing";
}

TEST(HttpServer, Http10ClosesUnlessKeepAliveAsked) {
    Running srv;
    {
        Client c(srv.port());
        const auto r = roundtrip(c, "GET /echo/old HTTP/1.0\r\n\r\n");
        ASSERT_TRUE(r);
        EXPECT_EQ(r->version, "HTTP/1.0");
        EXPECT_EQ(r->body, "GET /echo/old name=old");
        EXPECT_EQ(r->header("connection"), "close");
        EXPECT_TRUE(c.wait_closed(kWait));
    }
    Client c(srv.port());
    const auto r = roundtrip(c, "GET /echo/ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("connection"), "keep-alive");
    const auto again = roundtrip(c, "GET /echo/ka2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->body, "GET /echo/ka2 name=ka2");
}

TEST(HttpServer, ConnectionCloseRequestIsHonoured) {
    Running srv;
    Client c(srv.port());
    const auto r = roundtrip(c, get("/echo/x", "Connection: close\r\n"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.wait_closed(kWait));
}

const std::string kStreamedBody = "alpha,beta," + std::string(300, 'g');

TEST(HttpServer, StreamedBodyIsChunkedAndConnectionStaysUsable) {
    Running srv;
    Client c(srv.port());
    const auto r = roundtrip(c, get("/stream"));
    ASSERT_TRUE(r) << "no complete chunked response; bytes seen: " << c.pending();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("transfer-encoding"), "chunked");
    EXPECT_FALSE(r->header("content-length").has_value());
    EXPECT_EQ(r->body, kStreamedBody);
    const auto next = roundtrip(c, get("/echo/after"));
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "GET /echo/after name=after");
}

TEST(HttpServer, PipelinedRequestsBehindAStreamWaitTheirTurn) {
    Running srv;
    Client c(srv.port());
    ASSERT_TRUE(c.send(get("/echo/before") + get("/stream") + get("/echo/after")));
    const auto a = c.read(), b = c.read(), d = c.read();
    ASSERT_TRUE(a && b && d);
    EXPECT_EQ(a->body, "GET /echo/before name=before");
    EXPECT_EQ(b->body, kStreamedBody);
    EXPECT_EQ(d->body, "GET /echo/after name=after");
}

TEST(HttpServer, FailingStreamEndsTheConnectionWithAnIncompleteBody) {
    Running srv;
    Client c(srv.port());
    EXPECT_FALSE(roundtrip(c, get("/stream-fail"))) << "a failed stream must not look complete";
    EXPECT_TRUE(c.wait_closed(kWait));
    EXPECT_EQ(c.pending().find("0\r\n\r\n"), std::string::npos) << "last-chunk sent after a failure";
}

TEST(HttpServer, HeadOfStreamingRouteSendsNoBody) {
    Running srv;
    Client c(srv.port());
    const auto h = roundtrip(c, request("HEAD", "/stream"), true);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
    const auto next = roundtrip(c, get("/echo/after"));
    ASSERT_TRUE(next) << "bytes seen: " << c.pending();
    EXPECT_EQ(next->body, "GET /echo/after name=after");
}

TEST(HttpServer, Http10StreamIsDelimitedByClose) {
    Running srv;
    Client c(srv.port());
    const auto r = roundtrip(c, "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->header("transfer-encoding").has_value()) << "HTTP/1.0 has no chunked encoding";
    EXPECT_FALSE(r->header("content-length").has_value());
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_EQ(r->body, kStreamedBody);
}

TEST(HttpServer, GracefulStopFinishesInFlightRequest) {
    // The in-flight handler is held until the test lets it go (after stop() returned), not slept
    // for a guessed time: a stop() that waited for it would only return when it gave up (kGiveUp).
    auto gate = std::make_shared<Gate>();
    auto table = make_routes();
    add_route(*table, Method::Get, "/hold", [gate](const Request&, Response& res) {
        reply_text(res, gate->hold() ? "released" : "gave up");
    });
    auto o = test_options();
    o.drain_timeout = 20s;  // a server that waits out its drain timeout fails the bound at the end
    Running srv(o, table);
    Client busy(srv.port());
    Client idle(srv.port());
    ASSERT_TRUE(roundtrip(idle, get("/echo/idle")));
    ASSERT_TRUE(busy.send(get("/hold")));
    ASSERT_TRUE(gate->wait_inside(1, kWait)) << "the request never reached its handler";

    const auto stop_at = Clock::now();
    srv.server.stop();
    EXPECT_LT(seconds_since(stop_at), 5.0) << "stop() must not block";
    gate->open();

    const auto r = busy.read(false, kWait);
    ASSERT_TRUE(r) << "in-flight request was not answered after stop()";
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "released");
    EXPECT_TRUE(busy.wait_closed(kWait));
    EXPECT_TRUE(idle.wait_closed(kWait)) << "idle keep-alive connection not closed by stop()";
    EXPECT_TRUE(srv.server.wait_for(kWait)) << "engine threads still running after stop()";
    srv.server.join();
    EXPECT_LT(seconds_since(stop_at), 10.0) << "the server waited out its 20 s drain timeout";

    Client late(srv.port());
    EXPECT_FALSE(late.connected()) << "the listener is still accepting after stop()";
}

TEST(HttpServer, StopWithoutConnectionsEndsQuickly) {
    auto o = test_options();
    o.drain_timeout = 20s;  // "quickly": without waiting for it (the bound is far below it, far above load)
    Running srv(o);
    const auto t = Clock::now();
    srv.server.stop();
    srv.server.stop();  // idempotent
    EXPECT_TRUE(srv.server.wait_for(kWait));
    srv.server.join();
    EXPECT_LT(seconds_since(t), 5.0);
}

TEST(HttpServer, TwoWorkersServeClientsConcurrently) {
    // Each handler waits until both are inside at once: handlers run one after the other never
    // meet (the first gives up after kGiveUp and answers "alone"). No clock involved.
    auto gate = std::make_shared<Gate>();
    auto table = make_routes();
    add_route(*table, Method::Get, "/meet", [gate](const Request&, Response& res) {
        reply_text(res, gate->meet(2) ? "met" : "alone");
    });
    auto o = test_options();
    o.workers = 2;
    o.write_timeout = o.drain_timeout = 60s;
    Running srv(o, table);
    Client a(srv.port());
    Client b(srv.port());
    ASSERT_TRUE(a.connected() && b.connected());
    ASSERT_TRUE(a.send(get("/meet")));
    ASSERT_TRUE(b.send(get("/meet")));
    const auto ra = a.read(false, kGiveUp + kWait), rb = b.read(false, kGiveUp + kWait);
    ASSERT_TRUE(ra && rb);
    EXPECT_EQ(ra->body, "met") << "two requests on two workers ran one after the other";
    EXPECT_EQ(rb->body, "met") << "two requests on two workers ran one after the other";
}

TEST(HttpServer, ThreadHooksRunOncePerWorker) {
    std::atomic<int> started{0}, stopped{0};
    auto o = test_options();
    o.workers = 3;
    o.on_thread_start = [&] { ++started; };
    o.on_thread_stop = [&] { ++stopped; };
    {
        Running srv(o);
        Client c(srv.port());
        ASSERT_TRUE(roundtrip(c, get("/echo/x")));
    }
    EXPECT_EQ(started.load(), 3);
    EXPECT_EQ(stopped.load(), 3);
}

TEST(HttpServer, ReplacedRouteTableServesNewRequests) {
    Running srv;
    Client c(srv.port());
    const auto v1 = roundtrip(c, get("/version"));
    ASSERT_TRUE(v1);
    EXPECT_EQ(v1->body, "v1");
    const auto missing = roundtrip(c, get("/only/v2"));
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);

    srv.routes->replace(make_routes("v2"));

    const auto same_conn = roundtrip(c, get("/version"));
    ASSERT_TRUE(same_conn);
    EXPECT_EQ(same_conn->body, "v2") << "a keep-alive connection kept the old table";
    Client fresh(srv.port());
    const auto added = roundtrip(fresh, get("/only/v2"));
    ASSERT_TRUE(added);
    EXPECT_EQ(added->status, 200);
    const auto removed = roundtrip(fresh, get("/only/v1"));
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed->status, 404);
}

TEST(HttpServer, BindFailureThrowsNamingTheAddress) {
    Running first;
    auto o = test_options();
    o.port = first.port();
    Server second(o, std::make_shared<RouteTableHolder>(make_routes()));
    try {
        second.start();
        FAIL() << "binding a port in use did not throw";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(first.port())), std::string::npos)
            << e.what();
    }
    auto bad = test_options();
    bad.host = "not-an-address";
    Server third(bad, std::make_shared<RouteTableHolder>(make_routes()));
    try {
        third.start();
        FAIL() << "an invalid host did not throw";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("not-an-address"), std::string::npos) << e.what();
    }
}

// ---- a before() that suspends, and the reactor driven from outside ---------------------------

namespace {

// Suspends every request to /echo/held until release() (from any thread), which either answers
// (203 "gate") or lets the chain go on to the handler with an X-Gate header added.
class SuspendGate final : public Middleware {
public:
    bool before(Exchange& ex) override {
        if (ex.req.path != "/echo/held") return false;
        auto pending = std::make_shared<PendingResponse>();
        pending->on_cancel([this] { ++cancels; });
        if (deadline.count() > 0) {
            pending->set_deadline(deadline, [](Exchange& resumed) {
                resumed.res.headers.emplace_back("X-Gate", "timed out");
                return false;
            });
        }
        {
            std::lock_guard lock(mutex_);
            waiting_.push_back(pending);
        }
        ex.res.pending = std::move(pending);
        return true;
    }
    void after(Exchange&) override { ++afters; }
    void abandon(Exchange&) override { ++abandons; }

    std::size_t waiting() {
        std::lock_guard lock(mutex_);
        return waiting_.size();
    }
    void release(bool answer) {
        std::vector<std::shared_ptr<PendingResponse>> all;
        {
            std::lock_guard lock(mutex_);
            all.swap(waiting_);
        }
        for (auto& p : all) {
            if (answer) {
                Response res;
                res.status = 203;
                reply_text(res, "gate");
                p->complete(std::move(res));
            } else {
                p->resume([](Exchange& ex) {
                    ex.res.headers.emplace_back("X-Gate", "passed");
                    return false;
                });
            }
        }
    }

    std::atomic<int> afters{0}, abandons{0}, cancels{0};
    std::chrono::milliseconds deadline{0};  // set: suspended exchanges give up after this long

private:
    std::mutex mutex_;
    std::vector<std::shared_ptr<PendingResponse>> waiting_;
};

std::shared_ptr<RouteTable> suspend_gated_routes(const std::shared_ptr<SuspendGate>& gate) {
    auto t = make_routes();
    t->add_middleware(gate, 50);
    return t;
}

template <class F>
bool eventually(F done) {
    const auto deadline = Clock::now() + 30s;  // generous: only a broken engine waits this long
    while (!done()) {
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

}  // namespace

TEST(SuspendedMiddleware, DispatchStopsThenContinuesToTheHandler) {
    auto gate = std::make_shared<SuspendGate>();
    const auto table = suspend_gated_routes(gate);
    Request req;
    req.method = "GET";
    req.target = "/echo/held";
    Response res;
    DispatchScratch scratch;
    Exchange ex(*table, req, res);
    dispatch(ex, scratch);
    ASSERT_TRUE(res.pending);
    EXPECT_TRUE(res.body.empty()) << "the handler must wait";
    EXPECT_EQ(gate->afters, 0) << "after() waits for the answer";
    std::optional<Resumption> got;
    const auto pending = res.pending;
    res.pending->attach([&] { got.emplace(pending->take()); });
    gate->release(false);
    ASSERT_TRUE(got && got->step);
    res.pending.reset();
    EXPECT_FALSE(got->step(ex));
    continue_dispatch(ex);
    EXPECT_EQ(res.body, "GET /echo/held name=held");
    EXPECT_EQ(gate->afters, 1);
}

TEST(SuspendedMiddleware, WaitsWithoutHoldingTheEngineThread) {
    auto gate = std::make_shared<SuspendGate>();
    Running srv(test_options(), suspend_gated_routes(gate));  // one engine thread
    Client held(srv.port()), other(srv.port());
    ASSERT_TRUE(held.send(get("/echo/held")));
    ASSERT_TRUE(eventually([&] { return gate->waiting() == 1; }));
    const auto r = roundtrip(other, get("/echo/free"));  // the same thread answers meanwhile
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "GET /echo/free name=free");
    gate->release(false);
    const auto resumed = held.read();
    ASSERT_TRUE(resumed);
    EXPECT_EQ(resumed->status, 200);
    EXPECT_EQ(resumed->body, "GET /echo/held name=held");
    EXPECT_EQ(resumed->header("x-gate"), "passed");
    // Answered by the middleware itself this time, on the same keep-alive connection.
    ASSERT_TRUE(held.send(get("/echo/held")));
    ASSERT_TRUE(eventually([&] { return gate->waiting() == 1; }));
    gate->release(true);
    const auto answered = held.read();
    ASSERT_TRUE(answered);
    EXPECT_EQ(answered->status, 203);
    EXPECT_EQ(answered->body, "gate");
    EXPECT_TRUE(eventually([&] { return gate->afters == 3; }));  // free, held, held
}

TEST(SuspendedMiddleware, AClientThatLeavesAbandonsTheExchangeAtOnce) {
    auto gate = std::make_shared<SuspendGate>();
    Running srv(test_options(), suspend_gated_routes(gate));
    {
        Client c(srv.port());
        ASSERT_TRUE(c.send(get("/echo/held")));
        ASSERT_TRUE(eventually([&] { return gate->waiting() == 1; }));
    }  // closed
    EXPECT_TRUE(eventually([&] { return gate->abandons == 1 && gate->cancels == 1; }));
    EXPECT_EQ(gate->afters, 0);
    gate->release(true);  // too late: nobody to answer
    Client c(srv.port());
    const auto r = roundtrip(c, get("/echo/after"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST(SuspendedMiddleware, ADeadlineResumesWithTheTimeoutStep) {
    auto gate = std::make_shared<SuspendGate>();
    gate->deadline = 50ms;
    Running srv(test_options(), suspend_gated_routes(gate));
    Client c(srv.port());
    const auto r = roundtrip(c, get("/echo/held"));  // nobody releases it
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "GET /echo/held name=held");
    EXPECT_EQ(r->header("x-gate"), "timed out");
    gate->release(true);  // too late: the exchange went on without it
    const auto next = roundtrip(c, get("/echo/next"));
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "GET /echo/next name=next");
}

TEST(ThreadReactor, AForeignLoopDrivesTheEngineThread) {
    // The foreign loop's poller (in a real loop its epoll fd): here a loopback connection's far end,
    // made readable by writing to the near end (a socket is what Windows can wait on too).
    // (Accepted natively: on Windows a socket joins one completion port for life, the reactor's.)
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::address_v4::loopback(), 0});
    boost::asio::ip::tcp::socket bell(io);
    bell.connect(acceptor.local_endpoint());
    const auto accepted = ::accept(acceptor.native_handle(), nullptr, nullptr);
    ASSERT_NE(static_cast<long long>(accepted), -1LL);
    const int poller_fd = static_cast<int>(accepted);
    std::atomic<int> readable{0}, nudged{0};
    std::atomic<bool> finished{false};
    ServerOptions o = test_options();
    o.drive = [&](ThreadReactor& reactor) {
        reactor.watch(poller_fd);
        for (;;) {
            const auto woke = reactor.run(std::chrono::milliseconds(50));
            if (woke == ThreadReactor::Woke::Finished) break;
            if (woke == ThreadReactor::Woke::Readable) {
                char byte;
                if (::recv(accepted, &byte, 1, 0) == 1) ++readable;
                reactor.nudge();  // harmless outside a handler: the next run() starts afresh
            }
            if (woke == ThreadReactor::Woke::Nudged) ++nudged;
        }
        reactor.watch(-1);
        finished = true;
    };
    {
        Running srv(std::move(o));
        Client c(srv.port());
        const auto r = roundtrip(c, get("/echo/driven"));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body, "GET /echo/driven name=driven");
        ASSERT_EQ(boost::asio::write(bell, boost::asio::buffer("x", 1)), 1u);
        EXPECT_TRUE(eventually([&] { return readable == 1; }));
        ASSERT_EQ(boost::asio::write(bell, boost::asio::buffer("yz", 2)), 2u);  // read one at a time: level-triggered
        EXPECT_TRUE(eventually([&] { return readable == 3; }));
    }  // stop and join: the driver saw Finished
    EXPECT_TRUE(finished);
    EXPECT_EQ(nudged, 0);
#ifdef _WIN32
    ::closesocket(accepted);
#else
    ::close(accepted);
#endif
}
