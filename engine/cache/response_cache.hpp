// The native response cache behind @cache: bounded (LRU by bytes), TTL per entry, tags, request
// coalescing, and counters per route and per tag. Shared by every engine thread; thread-safe.
#pragma once

#include "engine/config.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cello::engine {

struct CacheCounters {
    std::atomic<std::uint64_t> hits{0}, misses{0}, stores{0}, evictions{0}, invalidations{0};
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

class ResponseCache {
public:
    explicit ResponseCache(std::size_t max_bytes);

    // Counters that outlive reloads: routes are named by their label ("GET /users/{id}").
    std::shared_ptr<CacheCounters> route_counters(const std::string& label);
    std::shared_ptr<CacheCounters> tag_counters(const std::string& tag);

    enum class Role { Hit, Leader, Follower };
    struct Lookup {
        Role role = Role::Leader;
        CacheEntryPtr entry;  // Hit (also a Follower whose leader stored a response)
    };
    // A fresh entry is a Hit. Otherwise the first caller becomes the Leader and must call finish();
    // later callers for the same key wait (up to `wait`) for the leader and then get its entry, or
    // none (Follower without entry: answer without the cache).
    Lookup lookup(std::string_view key, std::chrono::steady_clock::time_point now, std::chrono::milliseconds wait);
    // The leader's result: stores `entry` (may be null: nothing to store) and wakes the followers.
    void finish(const std::string& key, std::shared_ptr<CachedResponse> entry);

    std::size_t invalidate_tags(const std::vector<std::string>& tags);
    std::size_t invalidate_path(std::string_view path);
    void clear();
    // A variant of `n` bytes was added to `entry` (stored under `key`): counted against max_bytes
    // for as long as that entry stays in the cache.
    void add_bytes(std::string_view key, const CachedResponse* entry, std::size_t n);

    std::size_t bytes() const;
    std::size_t entries() const;
    std::size_t max_bytes() const noexcept { return max_bytes_; }
    void set_max_bytes(std::size_t n);

    struct Stat {
        std::string label;
        std::uint64_t hits, misses, stores, evictions, invalidations;
    };
    std::vector<Stat> route_stats() const;
    std::vector<Stat> tag_stats() const;

private:
    struct Slot {
        CacheEntryPtr entry;
        std::size_t size = 0;
        std::list<std::string>::iterator lru;  // position in lru_ (front: most recent)
    };
    struct Pending {
        std::condition_variable done;
        CacheEntryPtr entry;
        bool finished = false;
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    static std::size_t size_of(const CachedResponse& e, std::size_t key_size);
    void erase_locked(std::unordered_map<std::string, Slot, Hash, std::equal_to<>>::iterator it, bool evicted);
    void evict_locked();

    mutable std::mutex mutex_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::unordered_map<std::string, Slot, Hash, std::equal_to<>> slots_;
    std::list<std::string> lru_;
    std::unordered_map<std::string, std::shared_ptr<Pending>, Hash, std::equal_to<>> pending_;
    std::map<std::string, std::shared_ptr<CacheCounters>, std::less<>> route_counters_, tag_counters_;
};

}  // namespace cello::engine
