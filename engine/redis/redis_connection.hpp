// One connection to Redis driven by an io_context (hiredis's async API, its readiness events
// through Asio): connects, authenticates and selects the database, sends commands pipelined and
// hands each reply to its callback. Everything on the io_context's thread.
#pragma once

#include "engine/redis/redis_settings.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct redisAsyncContext;
struct redisReply;

namespace cello::engine {

class RedisConnection {
public:
    // A reply, or null when the connection ended before it came.
    using Callback = std::function<void(const redisReply*)>;
    struct Events {
        std::function<void()> ready;                  // connected, authenticated, database selected
        std::function<void(const std::string&)> lost;  // a connect failed or a connection ended: why
    };

    RedisConnection(boost::asio::io_context& io, RedisSettings settings, Events events);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    void connect();  // when closed; ready() or lost() follows
    bool ready() const noexcept { return state_ == State::Ready; }
    bool closed() const noexcept { return state_ == State::Closed; }
    // When ready (false otherwise, and the callback is dropped). A `standing` callback is called
    // for every message of a subscription until the connection ends (SUBSCRIBE).
    bool command(std::span<const std::string_view> args, Callback callback, bool standing = false);
    void close();  // pending callbacks get null; no lost() for it

private:
    enum class State { Closed, Connecting, Handshake, Ready };
    struct Watch;
    struct Pending;

    void start_handshake();
    void fail(const std::string& why);  // ends the connection and reports it (once per attempt)
    void end();                         // frees the context; its callbacks get null
    void arm_stall_check();
    bool send(std::span<const std::string_view> args, Pending* pending);

    static void on_connect(const redisAsyncContext* ac, int status);
    static void on_disconnect(const redisAsyncContext* ac, int status);
    static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);

    boost::asio::io_context& io_;
    RedisSettings settings_;
    Events events_;
    redisAsyncContext* ac_ = nullptr;  // owned by hiredis: freed by redisAsyncFree or after a disconnect
    std::unique_ptr<Watch> watch_;
    std::list<Pending> pending_;  // callbacks of commands sent and not yet answered, and standing ones
    State state_ = State::Closed;
    boost::asio::steady_timer timer_;  // the connect deadline, then the stall check
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cello::engine
