#include "engine/redis/redis_connection.hpp"

#include "engine/net/waitable_handle.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <sys/ioctl.h>

#include <algorithm>
#include <vector>

namespace cello::engine {

// hiredis asks for read and write readiness (addRead/delRead/addWrite/delWrite) and says when
// the context goes (cleanup). Asio's waits are one-shot: each is armed again while still wanted.
struct RedisConnection::Watch {
    Watch(boost::asio::io_context& io, redisAsyncContext* context) : fd(io, context->c.fd), ac(context) {}
    ~Watch() {
        *alive = false;
        fd.cancel();
        fd.release();  // hiredis closes the descriptor
    }

    void arm(bool writable) {
        bool& armed = writable ? write_armed : read_armed;
        if (armed || !(writable ? want_write : want_read)) return;
        armed = true;
        fd.async_wait(writable, [this, writable, alive = alive](const boost::system::error_code& ec) {
            if (!*alive) return;
            (writable ? write_armed : read_armed) = false;
            if (ec) return;
            if (writable) {
                if (want_write) redisAsyncHandleWrite(ac);
            } else {
                // hiredis reads at most 16 KiB a call, and Asio's epoll is edge-triggered: what is
                // left in the socket would raise no new event. Read on while bytes are waiting.
                while (want_read) {
                    redisAsyncHandleRead(ac);
                    if (!*alive || !bytes_waiting(ac->c.fd)) break;
                }
            }
            if (*alive) arm(writable);  // the context (and this watch) may be gone now
        });
    }

    net::WaitableHandle fd;
    redisAsyncContext* ac;
    bool want_read = false, want_write = false, read_armed = false, write_armed = false;
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
    RedisConnection* owner = nullptr;

    static bool bytes_waiting(int fd) {
        int n = 0;
        return ::ioctl(fd, FIONREAD, &n) == 0 && n > 0;
    }
};

// A command's callback, owned by pending_ until hiredis calls it for the last time (standing
// ones: with null, when the context goes).
struct RedisConnection::Pending {
    RedisConnection* owner;
    Callback callback;
    bool standing;
    std::chrono::steady_clock::time_point sent;
    std::list<Pending>::iterator self;
};

RedisConnection::RedisConnection(boost::asio::io_context& io, RedisSettings settings, Events events)
    : io_(io), settings_(std::move(settings)), events_(std::move(events)), timer_(io) {}

RedisConnection::~RedisConnection() {
    *alive_ = false;
    end();
}

void RedisConnection::connect() {
    if (state_ != State::Closed) return;
    redisAsyncContext* ac = redisAsyncConnect(settings_.host.c_str(), settings_.port);
    if (!ac) {
        events_.lost("out of memory");
        return;
    }
    if (ac->err) {
        const std::string why = ac->errstr;
        redisAsyncFree(ac);
        events_.lost(why);
        return;
    }
    ac_ = ac;
    ac->data = this;
    watch_ = std::make_unique<Watch>(io_, ac);
    watch_->owner = this;
    ac->ev.data = watch_.get();
    static constexpr auto watch_of = [](void* p) { return static_cast<Watch*>(p); };
    ac->ev.addRead = [](void* p) {
        watch_of(p)->want_read = true;
        watch_of(p)->arm(false);
    };
    ac->ev.delRead = [](void* p) { watch_of(p)->want_read = false; };
    ac->ev.addWrite = [](void* p) {
        watch_of(p)->want_write = true;
        watch_of(p)->arm(true);
    };
    ac->ev.delWrite = [](void* p) { watch_of(p)->want_write = false; };
    ac->ev.cleanup = [](void* p) { watch_of(p)->owner->watch_.reset(); };
    state_ = State::Connecting;
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncSetConnectCallback(ac, on_connect);  // after the events: it waits for writability
    timer_.expires_after(settings_.connect_timeout);
    timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
        if (!ec && *alive && (state_ == State::Connecting || state_ == State::Handshake))
            fail("no connection within " + std::to_string(settings_.connect_timeout.count()) + " ms");
    });
}

void RedisConnection::on_connect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<RedisConnection*>(ac->data);
    if (!self) return;
    if (status != REDIS_OK) {
        self->ac_ = nullptr;  // hiredis frees it when this returns
        self->fail(ac->errstr[0] ? ac->errstr : "connection failed");
        return;
    }
    redisEnableKeepAlive(&self->ac_->c);  // a peer gone without a word is noticed (a subscriber only reads)
    self->start_handshake();
}

void RedisConnection::on_disconnect(const redisAsyncContext* ac, int) {
    auto* self = static_cast<RedisConnection*>(ac->data);
    if (!self || !self->ac_) return;  // ours: end() let it go
    self->ac_ = nullptr;  // hiredis frees it when this returns
    self->fail(ac->err ? ac->errstr : "the server closed the connection");
}

void RedisConnection::start_handshake() {
    state_ = State::Handshake;
    // AUTH and SELECT go first, pipelined; ready once both said OK.
    std::vector<std::vector<std::string_view>> steps;
    if (!settings_.password.empty()) {
        if (settings_.username.empty()) steps.push_back({"AUTH", settings_.password});
        else steps.push_back({"AUTH", settings_.username, settings_.password});
    }
    const std::string db = std::to_string(settings_.database);
    if (settings_.database != 0) steps.push_back({"SELECT", db});
    if (steps.empty()) steps.push_back({"PING"});
    auto left = std::make_shared<std::size_t>(steps.size());
    for (const auto& args : steps) {
        const std::string what(args.front());
        auto& p = pending_.emplace_back(Pending{this, {}, false, std::chrono::steady_clock::now(), {}});
        p.self = std::prev(pending_.end());
        p.callback = [this, left, what](const redisReply* r) {
            if (state_ != State::Handshake) return;
            if (!r || r->type == REDIS_REPLY_ERROR) {
                fail(what + " failed: " + (r ? std::string(r->str, r->len) : std::string("no answer")));
                return;
            }
            if (--*left == 0) {
                state_ = State::Ready;
                arm_stall_check();
                events_.ready();
            }
        };
        if (!send(args, &p)) return;
    }
}

bool RedisConnection::command(std::span<const std::string_view> args, Callback callback, bool standing) {
    if (state_ != State::Ready) return false;
    auto& p = pending_.emplace_back(Pending{this, std::move(callback), standing, std::chrono::steady_clock::now(), {}});
    p.self = std::prev(pending_.end());
    return send(args, &p);
}

bool RedisConnection::send(std::span<const std::string_view> args, Pending* pending) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const auto a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    if (redisAsyncCommandArgv(ac_, on_reply, pending, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
        pending_.erase(pending->self);
        return false;
    }
    return true;
}

void RedisConnection::on_reply(redisAsyncContext*, void* reply, void* privdata) {
    auto* p = static_cast<Pending*>(privdata);
    RedisConnection* self = p->owner;
    const auto* r = static_cast<const redisReply*>(reply);
    // A standing callback stays for the next message; any other is done (and null is the last call).
    if (p->standing && r) {
        p->callback(r);
        return;
    }
    Callback callback = std::move(p->callback);
    self->pending_.erase(p->self);
    if (callback) callback(r);
}

void RedisConnection::arm_stall_check() {
    // Answers that stop while commands wait (a hung server, a cut the kernel has not noticed):
    // the connection is given up, so that requests stop waiting on it.
    timer_.expires_after(settings_.connect_timeout);
    timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
        if (ec || !*alive || state_ != State::Ready) return;
        // The oldest command still without an answer (answers come in order).
        const auto oldest = std::find_if(pending_.begin(), pending_.end(), [](const Pending& p) { return !p.standing; });
        if (oldest != pending_.end() && std::chrono::steady_clock::now() - oldest->sent > settings_.connect_timeout) {
            fail("no answer for " + std::to_string(settings_.connect_timeout.count()) + " ms");
            return;
        }
        arm_stall_check();
    });
}

void RedisConnection::fail(const std::string& why) {
    if (state_ == State::Closed) return;
    end();
    events_.lost(why);
}

void RedisConnection::close() { end(); }

void RedisConnection::end() {
    state_ = State::Closed;
    timer_.cancel();
    if (redisAsyncContext* ac = ac_) {
        ac_ = nullptr;
        redisAsyncFree(ac);  // pending callbacks get null (after the current callback, if in one)
    }
}

}  // namespace cello::engine
