// The native response cache behind @cache: bounded (LRU by bytes), TTL per entry, tags, request
// coalescing, responses with Vary, and counters per route and per tag. Shared by every engine
// thread; thread-safe.
//
// A response with Vary is stored under its primary key plus a secondary key made of the request's
// values of the headers it names (cache_key.hpp: vary_key). The primary key then holds a marker
// naming those headers, so a lookup knows which secondary key to build (RFC 9111 4.1). Markers sit
// in the LRU and carry the tags and path of their variants, so eviction and invalidation treat them
// like entries; they do not expire, and are not counted as entries, stores, evictions or
// invalidations.
#pragma once

#include "engine/config.hpp"
#include "engine/http_types.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cello::engine {

struct CacheCounters {
    std::atomic<std::uint64_t> hits{0}, misses{0}, stores{0}, evictions{0}, invalidations{0};
};
// Zeroed memory is a fresh set of counters: cluster mode keeps them in shared memory.
static_assert(sizeof(CacheCounters) == 5 * sizeof(std::uint64_t) && std::atomic<std::uint64_t>::is_always_lock_free);

// A route's or a tag's counters, read at one moment.
struct CacheStat {
    std::string label;
    std::uint64_t hits, misses, stores, evictions, invalidations;
};

// Where a cache keeps its counters when not in the cache itself: in cluster mode, the shared block,
// where every worker's counters for a label add up (engine/cluster/shared_cache_counters.hpp).
class CacheCounterStore {
public:
    virtual ~CacheCounterStore() = default;
    virtual std::shared_ptr<CacheCounters> counters(bool tag, const std::string& label) = 0;
    virtual std::vector<CacheStat> stats(bool tag) const = 0;
};

struct CachedResponse {
    int status = 200;
    std::string content_type;
    Pairs headers;
    std::string body;
    std::string path;  // for invalidate(path=...)
    std::vector<std::string> tags;
    std::chrono::steady_clock::time_point stored{}, expires{};
    std::shared_ptr<CacheCounters> route_counters;
    std::vector<std::shared_ptr<CacheCounters>> tag_counters;
    // The response's Vary (lowercase, sorted) and the secondary key of the request it answered.
    std::vector<std::string> vary;
    std::string vary_key;
    // Cache-Control: public: may answer a request that carries credentials the key ignores.
    bool shared = false;
    // A Vary marker (see above): no response, only `vary`, `tags`, `path` and `expires`.
    bool vary_marker = false;
    // The key it is stored under (set by finish()), so add_bytes() needs no key from the caller.
    std::string key;

    // The gzip variant, made once by the compression middleware on first need.
    std::string gzip_body() const;
    // Stores the variant unless another thread stored one first; true when this call stored it.
    bool set_gzip_body(std::string gz) const;
    bool has_gzip() const noexcept { return has_gzip_.load(std::memory_order_acquire); }

private:
    mutable std::mutex gzip_mutex_;
    mutable std::string gzip_;
    mutable std::atomic<bool> has_gzip_{false};
};

using CacheEntryPtr = std::shared_ptr<const CachedResponse>;

class FarCacheTier;

class ResponseCache {
public:
    explicit ResponseCache(std::size_t max_bytes);

    // Counters that outlive reloads: routes are named by their label ("GET /users/{id}").
    std::shared_ptr<CacheCounters> route_counters(const std::string& label);
    std::shared_ptr<CacheCounters> tag_counters(const std::string& tag);

    enum class Role { Hit, Leader, Follower, Pass };
    // Join: miss handling with coalescing (Leader / Follower). Peek: a request carrying
    // credentials: only an entry marked `shared` is a Hit, anything else is Pass (nothing pending,
    // nothing will be stored).
    enum class Mode { Join, Peek };
    // Called once with the leader's entry (null: it stored nothing, or was abandoned), on the
    // leader's thread: it must only hand the entry on (e.g. PendingResponse::resume).
    using Waiter = std::function<void(CacheEntryPtr)>;
    struct Lookup {
        Role role = Role::Leader;
        bool suspended = false;  // a Follower whose waiter was registered
        CacheEntryPtr entry;  // Hit
        // Set when the lookup went through a Vary marker: the primary key plus the request's
        // secondary key. The Leader passes it to finish() (it is what followers wait on).
        std::string variant_key;
    };
    // A fresh entry is a Hit. Otherwise the first caller becomes the Leader and must call finish();
    // a later caller for the same key is a Follower, which never blocks: with `suspend`, suspend()
    // makes its waiter (only then, so that a hit allocates nothing), which gets the leader's entry
    // later (check it with fits() against the follower's request); without, it answers without
    // the cache.
    Lookup lookup(std::string_view key, const Request& req, std::chrono::steady_clock::time_point now,
                  Mode mode = Mode::Join, const std::function<Waiter()>* suspend = nullptr);
    // Whether a leader's entry answers `req` too (its Vary fits the request's headers).
    static bool fits(const CachedResponse& entry, const Request& req);
    // The leader's result: stores `entry` (may be null: nothing to store) under `key`, or for a
    // response with Vary under `key` + entry->vary_key with a marker under `key`, and wakes the
    // followers waiting on `pending_key` (the lookup's variant_key, or `key` when that was empty).
    void finish(const std::string& key, std::string_view pending_key, std::shared_ptr<CachedResponse> entry);
    // The same, only when no invalidation happened since generation() was `seen` (an entry fetched
    // from the far tier before an invalidation reached this process may be stale). False, and
    // nothing done, otherwise: the caller is still the leader, and must finish() later.
    bool finish_if_current(const std::string& key, std::string_view pending_key, std::shared_ptr<CachedResponse> entry,
                           std::uint64_t seen);
    // Moves on with every invalidation and clear() (any origin).
    std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

    // The far tier behind this cache (null: none), told of this process's invalidations.
    void set_far_tier(std::shared_ptr<FarCacheTier> tier);
    std::shared_ptr<FarCacheTier> far_tier() const { return far_.load(std::memory_order_acquire); }

    // Here: an invalidation made in this process, told to the listener (cluster mode passes it on to
    // the other workers). Elsewhere: one another worker made, applied without being passed on.
    enum class Origin { Here, Elsewhere };
    std::size_t invalidate_tags(const std::vector<std::string>& tags, Origin origin = Origin::Here);
    std::size_t invalidate_path(std::string_view path, Origin origin = Origin::Here);
    void clear();
    using InvalidationListener =
        std::function<void(const std::vector<std::string>& tags, std::optional<std::string_view> path)>;
    void set_invalidation_listener(InvalidationListener listener);
    // A variant of `n` bytes was added to `entry`: counted against max_bytes for as long as that
    // entry stays in the cache.
    void add_bytes(const CachedResponse* entry, std::size_t n);

    std::size_t bytes() const;
    std::size_t entries() const;  // stored responses (Vary markers are not counted)
    std::size_t max_bytes() const noexcept { return max_bytes_; }
    void set_max_bytes(std::size_t n);

    using Stat = CacheStat;
    std::vector<Stat> route_stats() const;
    std::vector<Stat> tag_stats() const;
    // Counters from then on come from (and stats from) `store`: set before any policy is made.
    void set_counter_store(std::shared_ptr<CacheCounterStore> store);

private:
    void tell(const std::vector<std::string>& tags, std::optional<std::string_view> path, Origin origin);

    struct Slot {
        CacheEntryPtr entry;
        std::size_t size = 0;
        std::list<std::string>::iterator lru;  // position in lru_ (front: most recent)
    };
    struct Pending {
        std::vector<Waiter> waiters;  // suspended followers
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    using Slots = std::unordered_map<std::string, Slot, Hash, std::equal_to<>>;

    static std::size_t size_of(const CachedResponse& e, std::size_t key_size);
    // The slot of `key` when it holds a fresh entry or marker (an expired one is erased).
    Slots::iterator find_fresh_locked(std::string_view key, std::chrono::steady_clock::time_point now);
    void touch_locked(Slots::iterator it) { lru_.splice(lru_.begin(), lru_, it->second.lru); }
    // Stores `entry` under `key`, replacing what was there; false when it can never fit.
    bool insert_locked(const std::string& key, CacheEntryPtr entry);
    // A leader's entry: under its key (and a Vary marker when it varies), then eviction.
    void store_locked(const std::string& key, const std::shared_ptr<CachedResponse>& entry);
    void erase_locked(Slots::iterator it, bool evicted);
    void evict_locked();

    mutable std::mutex mutex_;
    std::mutex listener_mutex_;  // not mutex_: the listener must not run under the cache's lock
    InvalidationListener listener_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    Slots slots_;
    std::size_t markers_ = 0;  // how many of slots_ are Vary markers
    std::list<std::string> lru_;
    std::unordered_map<std::string, std::shared_ptr<Pending>, Hash, std::equal_to<>> pending_;
    std::map<std::string, std::shared_ptr<CacheCounters>, std::less<>> route_counters_, tag_counters_;
    std::shared_ptr<CacheCounterStore> counter_store_;
    std::atomic<std::uint64_t> generation_{0};  // moved under mutex_
    std::atomic<std::shared_ptr<FarCacheTier>> far_;
};

}  // namespace cello::engine
