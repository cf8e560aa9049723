#include "engine/redis/redis_cache_tier.hpp"

#include "engine/cache/cache_codec.hpp"
#include "engine/net/engine_thread.hpp"
#include "engine/redis/redis_connection.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <hiredis/hiredis.h>

#include <deque>
#include <random>
#include <thread>
#include <unordered_map>

namespace cello::engine {

namespace {

namespace asio = boost::asio;

constexpr auto kRetry = std::chrono::seconds(1);       // between connects while Redis is away
constexpr std::size_t kMaxQueuedInvalidations = 1024;  // beyond: the whole cache goes on reconnect
constexpr std::size_t kMaxWaitingFetches = 4096;       // lookups made while a connection opens

// KEYS[1]: the entry; KEYS[2..]: the sets of its tags and path. ARGV: the entry, its TTL in ms.
// A set lives as long as its longest-lived entry.
constexpr std::string_view kStoreScript = R"LUA(
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
end
return 1
)LUA";

// KEYS: tag or path sets. ARGV: the channel, the message. The entries go before the message does.
constexpr std::string_view kInvalidateScript = R"LUA(
local n = 0
for i = 1, #KEYS do
  for _, k in ipairs(redis.call('SMEMBERS', KEYS[i])) do n = n + redis.call('DEL', k) end
  redis.call('DEL', KEYS[i])
end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return n
)LUA";

// After more invalidations than could be kept while Redis was away: every entry under the prefix.
// ARGV: the prefix, the channel, the message.
constexpr std::string_view kFlushScript = R"LUA(
local n = 0
for _, kind in ipairs({'c:', 't:', 'p:'}) do
  for _, k in ipairs(redis.call('KEYS', ARGV[1] .. kind .. '*')) do n = n + redis.call('DEL', k) end
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return n
)LUA";

std::string random_origin() {
    std::random_device rd;
    std::uint64_t v = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4) out[i] = kHex[v & 15];
    return out;
}

// "<origin>\n<kind>\n" then items as "<length>:<bytes>". Kinds: T tags, P a path, A everything.
std::string make_message(const std::string& origin, char kind, const std::vector<std::string>& items) {
    std::string out = origin + '\n' + kind + '\n';
    for (const auto& item : items) {
        out += std::to_string(item.size());
        out += ':';
        out += item;
    }
    return out;
}

struct Message {
    std::string_view origin;
    char kind = 0;
    std::vector<std::string> items;
};

std::optional<Message> parse_message(std::string_view text) {
    Message m;
    const auto nl = text.find('\n');
    if (nl == std::string_view::npos || text.size() < nl + 3 || text[nl + 2] != '\n') return std::nullopt;
    m.origin = text.substr(0, nl);
    m.kind = text[nl + 1];
    text.remove_prefix(nl + 3);
    while (!text.empty()) {
        const auto colon = text.find(':');
        if (colon == std::string_view::npos || colon == 0 || colon > 9) return std::nullopt;
        std::size_t n = 0;
        for (const char c : text.substr(0, colon)) {
            if (c < '0' || c > '9') return std::nullopt;
            n = n * 10 + static_cast<std::size_t>(c - '0');
        }
        text.remove_prefix(colon + 1);
        if (n > text.size()) return std::nullopt;
        m.items.emplace_back(text.substr(0, n));
        text.remove_prefix(n);
    }
    return m;
}

std::string_view str(const redisReply* r) { return {r->str, r->len}; }

}  // namespace

struct RedisCacheTier::Shared {
    RedisSettings settings;
    Log log;
    std::string origin = random_origin();
    std::uint64_t id = next_id();
    std::atomic<bool> down{false};
    std::atomic<bool> stopped{false};
    std::atomic<bool> listening{false};
    // Invalidations made here that Redis has not confirmed yet: meanwhile an engine thread could
    // read an entry they delete (they run on another connection), so lookups go to the handler.
    std::atomic<long> unconfirmed{0};

    std::string key(std::string_view kind, std::string_view name) const {
        std::string k = settings.key_prefix;
        k += kind;
        k += name;
        return k;
    }
    std::string channel() const { return settings.key_prefix + "invalidate"; }
    // Once per outage, whichever connection notices first.
    void lost(const std::string& why) {
        if (!stopped && !down.exchange(true))
            log("cello: Redis at " + settings.where() + " cannot be reached (" + why +
                "); @cache answers from each process's own cache until it is back");
    }
    void reached() {
        if (down.exchange(false)) log("cello: Redis at " + settings.where() + " is back; @cache shares entries again");
    }

    static std::uint64_t next_id() {
        static std::atomic<std::uint64_t> n{0};
        return ++n;
    }
};

namespace {

// An engine thread's connection to Redis, made on the thread's first lookup.
class ThreadLink {
public:
    ThreadLink(asio::io_context& io, std::shared_ptr<RedisCacheTier::Shared> shared)
        : shared_(std::move(shared)),
          retry_(io),
          conn_(io, shared_->settings, {[this] { on_ready(); }, [this](const std::string& why) { on_lost(why); }}) {
        conn_.connect();
    }

    bool stopped() const noexcept { return shared_->stopped; }

    bool fetch(const std::string& key, FarCacheTier::Found done) {
        if (shared_->unconfirmed.load(std::memory_order_acquire) > 0) return false;
        if (!conn_.ready()) {
            if (retrying_ || waiting_.size() >= kMaxWaitingFetches) return false;  // away: the handler answers
            waiting_.emplace_back(key, std::move(done));  // opening: asked once it is open
            return true;
        }
        return send_get(key, std::move(done));
    }

    void store(std::string key, std::string payload, const CachedResponse& entry, std::chrono::milliseconds ttl) {
        if (!conn_.ready()) return;
        const std::string ttl_ms = std::to_string(std::max<std::int64_t>(1, ttl.count()));
        std::vector<std::string> sets;
        sets.reserve(entry.tags.size() + 1);
        for (const auto& t : entry.tags) sets.push_back(shared_->key("t:", t));
        sets.push_back(shared_->key("p:", entry.path));
        const std::string numkeys = std::to_string(sets.size() + 1);
        std::vector<std::string_view> args{"EVAL", kStoreScript, numkeys, key};
        for (const auto& s : sets) args.push_back(s);
        args.push_back(payload);
        args.push_back(ttl_ms);
        conn_.command(args, {});
    }

private:
    bool send_get(const std::string& key, FarCacheTier::Found done) {
        const std::string_view args[] = {"GET", key};
        return conn_.command(args, [done = std::move(done)](const redisReply* r) {
            if (!r || r->type != REDIS_REPLY_STRING) return done(nullptr);  // none, an error, or the connection went
            done(decode_cached(str(r), unix_millis_now(), std::chrono::steady_clock::now()));
        });
    }

    void on_ready() {
        shared_->reached();
        auto waiting = std::move(waiting_);
        waiting_.clear();
        for (auto& [key, done] : waiting)
            if (!send_get(key, done)) done(nullptr);
    }

    void on_lost(const std::string& why) {
        shared_->lost(why);
        auto waiting = std::move(waiting_);
        waiting_.clear();
        for (auto& w : waiting) w.second(nullptr);
        if (shared_->stopped) return;
        retrying_ = true;
        retry_.expires_after(kRetry);
        retry_.async_wait([this](const boost::system::error_code& ec) {
            if (ec) return;
            retrying_ = false;
            if (!shared_->stopped) conn_.connect();
        });
    }

    std::shared_ptr<RedisCacheTier::Shared> shared_;
    asio::steady_timer retry_;  // before conn_: a connect may fail at once and arm it
    RedisConnection conn_;
    bool retrying_ = false;
    std::vector<std::pair<std::string, FarCacheTier::Found>> waiting_;
};

thread_local std::unordered_map<std::uint64_t, std::unique_ptr<ThreadLink>> t_links;

ThreadLink* this_thread_link(const std::shared_ptr<RedisCacheTier::Shared>& shared) {
    asio::io_context* io = net::engine_thread_io();
    if (!io) return nullptr;
    auto& link = t_links[shared->id];
    if (!link) {
        if (t_links.size() == 1) net::at_engine_thread_finish([] { t_links.clear(); });  // else the thread never ends
        std::erase_if(t_links, [](const auto& kv) { return kv.second && kv.second->stopped(); });  // tiers gone
        link = std::make_unique<ThreadLink>(*io, shared);
    }
    return link.get();
}

}  // namespace

// The invalidation thread: one connection subscribed to the channel, one that runs the scripts.
class RedisCacheTier::Control {
public:
    Control(std::shared_ptr<Shared> shared, std::weak_ptr<ResponseCache> near)
        : shared_(std::move(shared)), near_(std::move(near)) {
        const auto& s = shared_->settings;
        subscriber_ = std::make_unique<RedisConnection>(
            io_, s, RedisConnection::Events{[this] { subscribe(); }, [this](const std::string& why) { lost(why, true); }});
        commands_ = std::make_unique<RedisConnection>(
            io_, s, RedisConnection::Events{[this] { send_queued(); }, [this](const std::string& why) { lost(why, false); }});
        thread_ = std::thread([this] {
            subscriber_->connect();
            commands_->connect();
            io_.run();
        });
    }

    ~Control() {
        asio::post(io_, [this] {
            sub_retry_.cancel();
            cmd_retry_.cancel();
            subscriber_->close();
            commands_->close();
            work_.reset();
        });
        thread_.join();
    }

    void publish(std::vector<std::string> keys, std::string message) {
        shared_->unconfirmed.fetch_add(1, std::memory_order_acq_rel);
        asio::post(io_, [this, keys = std::move(keys), message = std::move(message)]() mutable {
            queued_.push_back({std::move(keys), std::move(message)});
            if (queued_.size() > kMaxQueuedInvalidations) {  // Redis away too long: everything goes when it is back
                shared_->unconfirmed.fetch_sub(static_cast<long>(queued_.size()) - 1, std::memory_order_acq_rel);
                queued_.clear();
                queued_.push_back({{}, make_message(shared_->origin, 'A', {}), true});
            }
            send_queued();
        });
    }

private:
    struct Queued {
        std::vector<std::string> keys;
        std::string message;
        bool flush = false;  // everything under the prefix (after the queue overflowed)
    };

    void subscribe() {
        shared_->reached();
        const std::string channel = shared_->channel();
        const std::string_view args[] = {"SUBSCRIBE", channel};
        subscriber_->command(args, [this](const redisReply* r) { on_message(r); }, true);
    }

    void on_message(const redisReply* r) {
        if (!r) {
            shared_->listening = false;
            return;
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 || r->element[0]->type != REDIS_REPLY_STRING) return;
        const auto kind = str(r->element[0]);
        auto near = near_.lock();
        apply(near.get(), kind, r);
        // The app may have let go of its cache meanwhile: this would be its last owner, and the cache
        // owns this thread, which must not be joined from itself.
        if (near && near.use_count() == 1) std::thread([n = std::move(near)] {}).detach();
    }

    void apply(ResponseCache* near, std::string_view kind, const redisReply* r) {
        if (kind == "subscribe") {
            // Invalidations made while this process was not listening are lost to it: start afresh.
            if (near) near->clear();
            shared_->listening = true;
            return;
        }
        if (kind != "message" || r->element[2]->type != REDIS_REPLY_STRING || !near) return;
        const auto m = parse_message(str(r->element[2]));
        if (!m || m->origin == shared_->origin) return;  // ours was applied when it was made
        if (m->kind == 'T') near->invalidate_tags(m->items, ResponseCache::Origin::Elsewhere);
        else if (m->kind == 'P' && m->items.size() == 1) near->invalidate_path(m->items[0], ResponseCache::Origin::Elsewhere);
        else if (m->kind == 'A') near->clear();
    }

    // Each invalidation stays (in sent_) until Redis answered it: a connection lost meanwhile
    // sends it again (the scripts may run twice).
    void send_queued() {
        if (!commands_->ready()) return;
        shared_->reached();
        const std::string channel = shared_->channel();
        while (!queued_.empty()) {
            Queued& q = queued_.front();
            const std::string numkeys = std::to_string(q.keys.size());
            std::vector<std::string_view> args{"EVAL", q.flush ? kFlushScript : kInvalidateScript,
                                               q.flush ? std::string_view("0") : std::string_view(numkeys)};
            if (q.flush) args.push_back(shared_->settings.key_prefix);
            for (const auto& k : q.keys) args.push_back(k);
            args.push_back(channel);
            args.push_back(q.message);
            if (!commands_->command(args, [this](const redisReply* r) { answered(r); })) return;
            sent_.push_back(std::move(q));
            queued_.pop_front();
        }
    }

    void answered(const redisReply* r) {
        if (!r) return;  // the connection went: lost() puts what was sent back in the queue
        if (r->type == REDIS_REPLY_ERROR)
            shared_->log("cello: Redis refused a cache invalidation: " + std::string(str(r)));
        if (!sent_.empty()) sent_.pop_front();
        shared_->unconfirmed.fetch_sub(1, std::memory_order_acq_rel);
    }

    void lost(const std::string& why, bool subscriber) {
        shared_->lost(why);
        if (subscriber) shared_->listening = false;
        else
            while (!sent_.empty()) {  // unanswered: again, first, once the connection is back
                queued_.push_front(std::move(sent_.back()));
                sent_.pop_back();
            }
        auto& timer = subscriber ? sub_retry_ : cmd_retry_;
        RedisConnection* conn = subscriber ? subscriber_.get() : commands_.get();
        timer.expires_after(kRetry);
        timer.async_wait([this, conn](const boost::system::error_code& ec) {
            if (!ec && !shared_->stopped) conn->connect();
        });
    }

    std::shared_ptr<Shared> shared_;
    std::weak_ptr<ResponseCache> near_;
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
    asio::steady_timer sub_retry_{io_}, cmd_retry_{io_};
    std::unique_ptr<RedisConnection> subscriber_, commands_;
    std::deque<Queued> queued_;
    std::deque<Queued> sent_;
    std::thread thread_;
};

RedisCacheTier::RedisCacheTier(RedisSettings settings, std::weak_ptr<ResponseCache> near, Log log)
    : shared_(std::make_shared<Shared>()) {
    shared_->settings = std::move(settings);
    shared_->log = std::move(log);
    control_ = std::make_unique<Control>(shared_, std::move(near));
}

RedisCacheTier::~RedisCacheTier() {
    shared_->stopped = true;
    control_.reset();
}

bool RedisCacheTier::fetch(const std::string& key, Found done) {
    ThreadLink* link = this_thread_link(shared_);
    return link && link->fetch(shared_->key("c:", key), std::move(done));
}

void RedisCacheTier::store(const std::string& key, const CachedResponse& entry, std::chrono::milliseconds ttl) {
    ThreadLink* link = this_thread_link(shared_);
    if (!link) return;
    const auto now = unix_millis_now();
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - entry.stored);
    link->store(shared_->key("c:", key), encode_cached(entry, now - age.count(), now + ttl.count()), entry, ttl);
}

void RedisCacheTier::invalidated(const std::vector<std::string>& tags, std::optional<std::string_view> path) {
    std::vector<std::string> keys;
    std::string message;
    if (path) {
        keys.push_back(shared_->key("p:", *path));
        message = make_message(shared_->origin, 'P', {std::string(*path)});
    } else {
        for (const auto& t : tags) keys.push_back(shared_->key("t:", t));
        message = make_message(shared_->origin, 'T', tags);
    }
    control_->publish(std::move(keys), std::move(message));
}

std::chrono::milliseconds RedisCacheTier::timeout() const noexcept { return shared_->settings.lookup_timeout; }

bool RedisCacheTier::listening() const noexcept { return shared_->listening; }

}  // namespace cello::engine
