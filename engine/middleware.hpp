// Native middleware: code that runs around every request (matched or not) without Python.
#pragma once

#include "engine/http_types.hpp"
#include "engine/router.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace cello::engine {

class RouteTable;
struct Route;
struct CachedResponse;

enum class CacheOutcome : std::uint8_t { None, Hit, Miss, Bypass };
std::string_view cache_outcome_name(CacheOutcome c) noexcept;  // "-", "HIT", "MISS", "BYPASS"

inline constexpr std::uint8_t kUnknownMethod = static_cast<std::uint8_t>(kMethodCount);

// One request while it is being answered, as middleware see it.
// Per-request state of a middleware that has no field of its own in Exchange: a few 64-bit words,
// each tagged with the middleware that wrote it, carried from before()/after() to complete() in the
// Completion.
class MiddlewareNotes {
public:
    static constexpr std::size_t kCapacity = 4;
    // False when `kCapacity` other middleware hold notes already.
    bool set(const void* owner, std::uint64_t value) noexcept {
        for (std::size_t i = 0; i < count_; ++i)
            if (entries_[i].owner == owner) return entries_[i].value = value, true;
        if (count_ == kCapacity) return false;
        entries_[count_++] = {owner, value};
        return true;
    }
    // The note `owner` set for this request, or `missing`.
    std::uint64_t get(const void* owner, std::uint64_t missing = 0) const noexcept {
        for (std::size_t i = 0; i < count_; ++i)
            if (entries_[i].owner == owner) return entries_[i].value;
        return missing;
    }

private:
    struct Entry {
        const void* owner;
        std::uint64_t value;
    };
    // Trivially copyable (a few vector moves when an Exchange hands it to its Completion).
    Entry entries_[kCapacity]{};
    std::uint8_t count_ = 0;
};

struct Exchange {
    Exchange(const RouteTable& t, Request& rq, Response& rs, unsigned thread = 0)
        : table(t), req(rq), res(rs), thread_index(thread) {}

    const RouteTable& table;
    Request& req;
    Response& res;
    unsigned thread_index = 0;       // engine thread: lets middleware keep per-thread shards
    std::uint8_t method = kUnknownMethod;  // Method as an index, or kUnknownMethod
    const Route* route = nullptr;    // null when no route matched (404, 405, 400)
    bool head_only = false;          // HEAD: the body will not be sent
    std::chrono::steady_clock::time_point start{};  // first byte of the request
    CacheOutcome cache = CacheOutcome::None;
    std::string request_id;          // set by the request-id middleware
    // Response cache state, set by the cache middleware for @cache routes.
    std::string cache_key;           // a leader's primary key
    std::string cache_variant_key;   // a leader's key when its lookup went through a Vary marker
    bool cache_leader = false;       // this request computes the entry others may be waiting for
    std::uint64_t cache_generation = 0;  // a leader's: the cache's generation() at its lookup
    std::shared_ptr<const CachedResponse> cache_entry;  // the entry served or just stored
    std::size_t middleware_ran = 0;  // how many before() ran: their after() is still owed
    Router::Result routed;           // the router's answer (404/405/OPTIONS are made from it)
    bool time_handler = false;       // measure handler_time (an inspector is attached)
    std::chrono::nanoseconds handler_time{};
    std::unique_ptr<std::string> log_line;  // the request log's line, finished once the response is written
    MiddlewareNotes notes;           // what middleware without a field here keep for this request
    bool unobserved = false;         // a probe's answer (health checks): not counted in /metrics
};

// A finished exchange, reported once its response has been written (or the write failed).
struct Completion {
    const Route* route = nullptr;
    std::uint8_t method = kUnknownMethod;
    int status = 0;
    std::size_t bytes_out = 0;
    std::chrono::nanoseconds latency{};  // first byte of the request to the response written
    CacheOutcome cache = CacheOutcome::None;
    std::unique_ptr<std::string> log_line;  // Exchange::log_line, handed on
    MiddlewareNotes notes;                   // Exchange::notes, handed on
    bool unobserved = false;                 // Exchange::unobserved, handed on
};

// Middleware are shared by every engine thread of a server: implementations synchronise their own
// state (per-thread shards via Exchange::thread_index, or atomics).
class Middleware {
public:
    virtual ~Middleware() = default;
    // Before the handler, in chain order. Return true when `ex.res` is the answer (later middleware
    // and the handler are skipped; the after() of every middleware whose before() ran still runs).
    // A before() that must wait for something (without holding the engine thread) sets
    // `ex.res.pending` and returns true; it later completes that PendingResponse with the answer,
    // or resumes it with a step that decides on the connection's thread (pending_response.hpp).
    virtual bool before(Exchange&) { return false; }
    // After the handler, in reverse chain order.
    virtual void after(Exchange&) {}
    // The exchange was dropped before it was answered (the client went away while the handler or
    // a suspended before() was pending): instead of after(), for every before() that ran.
    virtual void abandon(Exchange&) {}
    // After the response was written. Called on the engine thread that owned the connection.
    virtual void complete(const Completion&, unsigned /*thread_index*/) {}
    // Called by Server::start with the number of engine threads, before any request, so per-thread
    // shards can be sized. (A table installed later must be prepared by whoever installs it.)
    virtual void prepare(unsigned /*threads*/) {}
};

}  // namespace cello::engine
