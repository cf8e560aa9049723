#include "inspector/inspect_api.hpp"

#include "engine/route_table.hpp"
#include "engine/status.hpp"
#include "engine/url.hpp"
#include "inspector/snapshot_json.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

namespace cello::inspector {

namespace {

using engine::Request;
using engine::Response;
constexpr std::string_view kPrefix = "/inspect/v1";

void json_answer(Response& res, int status, std::string body) {
    res.status = status;
    res.content_type = "application/json";
    res.body = std::move(body);
    res.headers.emplace_back("Cache-Control", "no-store");
}

// The query's pairs; false when it is malformed (bad %-escapes, invalid UTF-8).
bool query_of(const Request& req, std::vector<std::pair<std::string, std::string>>& q) {
    q.clear();
    return engine::parse_query(req.query, q);
}

constexpr std::string_view kBadQuery = "malformed query string";

// A snapshot query from ?requests_since=&errors_since=&reloads_since=&max_requests=&series=&histogram=
// &max_websockets=.
bool parse_snapshot_query(const Request& req, SnapshotQuery& q, std::string& error) {
    std::vector<std::pair<std::string, std::string>> pairs;
    if (!query_of(req, pairs)) {
        error = kBadQuery;
        return false;
    }
    for (const auto& [name, value] : pairs) {
        std::uint64_t n = 0;
        if (name == "token") continue;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        const bool number = ec == std::errc() && end == value.data() + value.size();
        if (name == "requests_since" || name == "errors_since" || name == "reloads_since" || name == "max_requests" ||
            name == "series" || name == "histogram" || name == "max_websockets") {
            if (!number) {
                error = name + " must be a non-negative integer";
                return false;
            }
        }
        if (name == "requests_since") q.requests_since = n;
        else if (name == "errors_since") q.errors_since = n;
        else if (name == "reloads_since") q.reloads_since = n;
        else if (name == "max_requests") q.max_requests = static_cast<std::size_t>(n);
        else if (name == "max_websockets") q.max_websockets = static_cast<std::size_t>(n);
        else if (name == "series") q.series_seconds = static_cast<unsigned>(std::min<std::uint64_t>(n, 3600));
        else if (name == "histogram") {
            q.with_histogram = true;
            q.histogram_route = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, kUnmatchedRoute));
        }
    }
    return true;
}

class FunctionHandler final : public engine::Handler {
public:
    explicit FunctionHandler(std::function<void(const Request&, Response&)> fn) : fn_(std::move(fn)) {}
    void handle(const Request& req, Response& res) override { fn_(req, res); }

private:
    std::function<void(const Request&, Response&)> fn_;
};

// Every request, matched or not, needs the token: 401 tells nothing about what exists.
class TokenCheck final : public engine::Middleware {
public:
    explicit TokenCheck(std::string token) : token_(std::move(token)) {}

    bool before(engine::Exchange& ex) override {
        if (authorised(ex.req)) return false;
        engine::make_error(ex.res, 401, "inspector token required (Authorization: Bearer <token> or ?token=)");
        ex.res.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"cello inspector\"");
        return true;
    }

private:
    bool authorised(const Request& req) const {
        std::string_view auth = req.header("authorization");
        if (auth.size() > 7 && engine::iequals(auth.substr(0, 7), "bearer "))
            return constant_time_equals(auth.substr(7), token_);
        std::vector<std::pair<std::string, std::string>> pairs;
        query_of(req, pairs);  // a malformed query still yields the pairs before the bad one
        for (const auto& [name, value] : pairs)
            if (name == "token") return constant_time_equals(value, token_);
        return false;
    }

    std::string token_;
};

}  // namespace

bool constant_time_equals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
    return diff == 0;
}

std::string InspectApi::generate_token() {
    std::random_device rd;  // the OS's random source (/dev/urandom on Linux)
    static constexpr char kHex[] = "0123456789abcdef";
    std::string t;
    for (int i = 0; i < 8; ++i) {
        const auto v = rd();
        for (int shift = 0; shift < 32; shift += 8) {
            const auto byte = (v >> shift) & 0xff;
            t += kHex[byte >> 4];
            t += kHex[byte & 0xf];
        }
    }
    return t.substr(0, 32);
}

// Wakes the event streams once per interval. Streams hold a Waiter; the ticker only a weak_ptr,
// so a stream whose client left simply disappears from its list.
struct EventTicker {
    struct Waiter {
        std::atomic<bool> due{false};
        std::atomic<bool> ended{false};
        std::mutex m;
        std::function<void()> ready;  // the connection's wake-up, set while it waits
    };

    explicit EventTicker(std::chrono::milliseconds every) : interval(every) {
        thread = std::thread([this] { run(); });
    }
    ~EventTicker() { stop(); }

    std::shared_ptr<Waiter> add() {
        auto w = std::make_shared<Waiter>();
        std::lock_guard lock(m);
        if (stopped) w->ended = true;
        waiters.push_back(w);
        return w;
    }

    void stop() {
        {
            std::lock_guard lock(m);
            if (stopped) return;
            stopped = true;
        }
        cv.notify_all();
        thread.join();
        fire(true);
    }

    void run() {
        std::unique_lock lock(m);
        while (!stopped) {
            cv.wait_for(lock, interval, [this] { return stopped; });
            if (stopped) break;
            lock.unlock();
            fire(false);
            lock.lock();
        }
    }

    void fire(bool end) {
        std::vector<std::shared_ptr<Waiter>> live;
        {
            std::lock_guard lock(m);
            std::erase_if(waiters, [](const std::weak_ptr<Waiter>& w) { return w.expired(); });
            for (const auto& w : waiters)
                if (auto p = w.lock()) live.push_back(std::move(p));
        }
        for (const auto& w : live) {
            if (end) w->ended = true;
            w->due = true;
            std::function<void()> ready;
            {
                std::lock_guard lock(w->m);
                ready = std::move(w->ready);
                w->ready = nullptr;
            }
            if (ready) ready();
        }
    }

    std::chrono::milliseconds interval;
    std::mutex m;
    std::condition_variable cv;
    bool stopped = false;
    std::vector<std::weak_ptr<Waiter>> waiters;
    std::thread thread;
};

namespace {

// GET /inspect/v1/events: the first event is a full snapshot; later ones carry only what is new.
class EventStream final : public engine::BodySource {
public:
    EventStream(std::shared_ptr<Inspector> inspector, std::shared_ptr<EventTicker> ticker, SnapshotQuery q)
        : inspector_(std::move(inspector)), ticker_(std::move(ticker)), waiter_(ticker_->add()), query_(q) {}

    bool next(std::string& chunk) override {
        chunk = event();
        return true;
    }

    Pull pull(std::string& chunk, const std::function<void()>& ready) override {
        if (first_) {
            first_ = false;
            chunk = "retry: 2000\n\n" + event();
            return Pull::Chunk;
        }
        if (waiter_->ended) return Pull::End;
        if (waiter_->due.exchange(false)) {
            chunk = event();
            return Pull::Chunk;
        }
        {
            std::lock_guard lock(waiter_->m);
            waiter_->ready = ready;
        }
        // The ticker may have fired between the check and the hand-over: look again.
        if (waiter_->due.load() || waiter_->ended) {
            std::function<void()> again;
            {
                std::lock_guard lock(waiter_->m);
                again = std::move(waiter_->ready);
                waiter_->ready = nullptr;
            }
            if (again) again();
        }
        return Pull::Later;
    }

private:
    std::string event() {
        inspector_->drain_now();  // consumers take turns under the inspector's lock
        const Snapshot s = inspector_->snapshot(query_);
        if (!s.requests.empty()) query_.requests_since = s.requests.back().seq;
        if (!s.errors.empty()) query_.errors_since = s.errors.back().seq;
        if (!s.reloads.empty()) query_.reloads_since = s.reloads.back().seq;
        query_.series_seconds = 5;  // after the first event, the recent seconds are enough
        return "event: snapshot\ndata: " + to_json(s) + "\n\n";
    }

    std::shared_ptr<Inspector> inspector_;
    std::shared_ptr<EventTicker> ticker_;
    std::shared_ptr<EventTicker::Waiter> waiter_;
    SnapshotQuery query_;
    bool first_ = true;
};

}  // namespace

InspectApi::InspectApi(std::shared_ptr<Inspector> inspector, InspectApiOptions options)
    : inspector_(std::move(inspector)), options_(std::move(options)) {
    if (options_.token.empty()) options_.token = generate_token();
}

InspectApi::~InspectApi() { stop(); }

void InspectApi::start() {
    if (server_) return;
    ticker_ = std::make_shared<EventTicker>(options_.event_interval);
    auto table = std::make_shared<engine::RouteTable>();
    auto add = [&](engine::Method m, std::string path, std::function<void(const Request&, Response&)> fn) {
        engine::Route r;
        r.method = m;
        r.pattern = std::string(kPrefix) + path;
        r.name = "inspector";
        r.handler = std::make_shared<FunctionHandler>(std::move(fn));
        table->add(std::move(r));
    };
    auto inspector = inspector_;
    auto ticker = ticker_;
    add(engine::Method::Get, "", [](const Request&, Response& res) {
        json_answer(res, 200,
                    R"({"version":1,"endpoints":["GET /inspect/v1/snapshot","GET /inspect/v1/events",)"
                    R"("POST /inspect/v1/cache/invalidate","POST /inspect/v1/capture","POST /inspect/v1/reload"]})");
    });
    add(engine::Method::Get, "/snapshot", [inspector](const Request& req, Response& res) {
        SnapshotQuery q;
        std::string error;
        if (!parse_snapshot_query(req, q, error)) return engine::make_error(res, 400, error);
        inspector->drain_now();  // what was answered before this request is in it
        json_answer(res, 200, to_json(inspector->snapshot(q)));
    });
    add(engine::Method::Get, "/events", [inspector, ticker](const Request& req, Response& res) {
        SnapshotQuery q;
        q.max_requests = 1000;
        std::string error;
        if (!parse_snapshot_query(req, q, error)) return engine::make_error(res, 400, error);
        res.status = 200;
        res.content_type = "text/event-stream";
        res.headers.emplace_back("Cache-Control", "no-store");
        res.stream = std::make_unique<EventStream>(inspector, ticker, q);
    });
    add(engine::Method::Post, "/cache/invalidate", [inspector](const Request& req, Response& res) {
        std::vector<std::string> tags;
        std::vector<std::pair<std::string, std::string>> pairs;
        if (!query_of(req, pairs)) return engine::make_error(res, 400, kBadQuery);
        for (const auto& [name, value] : pairs)
            if (name == "tag") tags.push_back(value);
        if (!req.body.empty()) {
            const auto body = nlohmann::json::parse(req.body, nullptr, false);
            if (body.is_discarded() || !body.is_object() || !body.contains("tags") || !body["tags"].is_array())
                return engine::make_error(res, 400, R"(expected a JSON body {"tags": ["name", ...]})");
            for (const auto& t : body["tags"]) {
                if (!t.is_string()) return engine::make_error(res, 400, "tags must be strings");
                tags.push_back(t.get<std::string>());
            }
        }
        if (tags.empty()) return engine::make_error(res, 400, "no tag given (?tag=name or {\"tags\": [...]})");
        const std::size_t n = inspector->invalidate_tags(tags);
        json_answer(res, 200, nlohmann::json{{"invalidated", n}, {"tags", tags}}.dump());
    });
    add(engine::Method::Post, "/capture", [inspector](const Request& req, Response& res) {
        const auto body = nlohmann::json::parse(req.body, nullptr, false);
        if (body.is_discarded() || !body.is_object() || !body.contains("on") || !body["on"].is_boolean())
            return engine::make_error(res, 400, R"(expected a JSON body {"on": true|false})");
        if (inspector->cluster())  // the workers record their own details; none reaches the supervisor
            return engine::make_error(res, 409, "detail capture is not available in cluster mode");
        inspector->set_capture(body["on"].get<bool>());
        json_answer(res, 200, nlohmann::json{{"capturing", inspector->capturing()}}.dump());
    });
    add(engine::Method::Post, "/reload", [inspector](const Request&, Response& res) {
        std::string message;
        const bool ok = inspector->reload(message);
        json_answer(res, ok ? 200 : 409,
                    nlohmann::json{{"ok", ok}, {"message", message}}.dump(-1, ' ', false,
                                                                        nlohmann::json::error_handler_t::replace));
    });
    table->add_middleware(std::make_shared<TokenCheck>(options_.token), 0);

    engine::ServerOptions so;
    so.host = options_.host;
    so.port = options_.port;
    so.workers = 1;
    so.drain_timeout = std::chrono::seconds(1);
    server_ = std::make_unique<engine::Server>(so, std::make_shared<engine::RouteTableHolder>(table));
    try {
        server_->start();
    } catch (...) {
        server_.reset();
        ticker_->stop();
        ticker_.reset();
        throw;
    }
}

void InspectApi::stop() {
    if (!server_) return;
    ticker_->stop();  // ends the event streams, so the drain is quick
    server_->stop();
    server_->join();
    server_.reset();
    ticker_.reset();
}

std::uint16_t InspectApi::port() const noexcept { return server_ ? server_->port() : 0; }

}  // namespace cello::inspector
