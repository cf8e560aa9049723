#include "engine/cache/response_cache.hpp"

#include "engine/cache/cache_key.hpp"
#include "engine/cache/far_cache_tier.hpp"

#include <algorithm>

namespace cello::engine {

std::string CachedResponse::gzip_body() const {
    std::lock_guard lock(gzip_mutex_);
    return gzip_;
}

bool CachedResponse::set_gzip_body(std::string gz) const {
    std::lock_guard lock(gzip_mutex_);
    if (has_gzip_.load(std::memory_order_relaxed)) return false;  // another thread made it first
    gzip_ = std::move(gz);
    has_gzip_.store(true, std::memory_order_release);
    return true;
}

ResponseCache::ResponseCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

namespace {

std::shared_ptr<CacheCounters> counters_in(std::map<std::string, std::shared_ptr<CacheCounters>, std::less<>>& map,
                                           const std::string& label) {
    auto& slot = map[label];
    if (!slot) slot = std::make_shared<CacheCounters>();
    return slot;
}

}  // namespace

std::shared_ptr<CacheCounters> ResponseCache::route_counters(const std::string& label) {
    std::lock_guard lock(mutex_);
    return counter_store_ ? counter_store_->counters(false, label) : counters_in(route_counters_, label);
}

std::shared_ptr<CacheCounters> ResponseCache::tag_counters(const std::string& tag) {
    std::lock_guard lock(mutex_);
    return counter_store_ ? counter_store_->counters(true, tag) : counters_in(tag_counters_, tag);
}

void ResponseCache::set_counter_store(std::shared_ptr<CacheCounterStore> store) {
    std::lock_guard lock(mutex_);
    counter_store_ = std::move(store);
}

std::size_t ResponseCache::size_of(const CachedResponse& e, std::size_t key_size) {
    std::size_t n = sizeof(CachedResponse) + key_size + e.key.size() + e.body.size() + e.content_type.size() +
                    e.path.size() + e.vary_key.size();
    for (const auto& [k, v] : e.headers) n += k.size() + v.size() + 64;
    for (const auto& t : e.tags) n += t.size() + 32;
    for (const auto& v : e.vary) n += v.size() + 32;
    return n;
}

ResponseCache::Slots::iterator ResponseCache::find_fresh_locked(std::string_view key,
                                                                 std::chrono::steady_clock::time_point now) {
    auto it = slots_.find(key);
    if (it == slots_.end() || it->second.entry->expires > now) return it;
    erase_locked(it, false);  // expired
    return slots_.end();
}

ResponseCache::Lookup ResponseCache::lookup(std::string_view key, const Request& req,
                                            std::chrono::steady_clock::time_point now, Mode mode,
                                            const std::function<Waiter()>* suspend) {
    Lookup out;
    std::unique_lock lock(mutex_);
    auto it = find_fresh_locked(key, now);
    if (it != slots_.end() && it->second.entry->vary_marker) {
        touch_locked(it);  // a marker stays as long as its variants are used
        out.variant_key.assign(key);
        out.variant_key += vary_key(it->second.entry->vary, req);
        it = find_fresh_locked(out.variant_key, now);
    }
    if (it != slots_.end()) {
        if (mode == Mode::Peek && !it->second.entry->shared) {
            out.role = Role::Pass;
            return out;
        }
        touch_locked(it);
        out.role = Role::Hit;
        out.entry = it->second.entry;
        return out;
    }
    if (mode == Mode::Peek) {
        out.role = Role::Pass;
        return out;
    }
    const std::string_view pending_key = out.variant_key.empty() ? key : std::string_view(out.variant_key);
    auto p = pending_.find(pending_key);
    if (p == pending_.end()) {
        pending_.emplace(std::string(pending_key), std::make_shared<Pending>());
        out.role = Role::Leader;
        return out;
    }
    // Another request is computing this key: wait for its answer instead of calling the handler.
    std::shared_ptr<Pending> pending = p->second;
    out.role = Role::Follower;
    if (suspend) {
        pending->waiters.push_back((*suspend)());
        out.suspended = true;
    }
    return out;
}

// The leader's response may vary on a header this request has another value of (the leader found
// no marker, or the response's Vary changed): then it is not this request's answer.
bool ResponseCache::fits(const CachedResponse& entry, const Request& req) {
    return entry.vary.empty() || vary_key(entry.vary, req) == entry.vary_key;
}

bool ResponseCache::insert_locked(const std::string& key, CacheEntryPtr entry) {
    const std::size_t size = size_of(*entry, key.size());
    if (size > max_bytes_) return false;
    if (auto old = slots_.find(key); old != slots_.end()) erase_locked(old, false);
    lru_.push_front(key);
    markers_ += entry->vary_marker ? 1 : 0;
    slots_.emplace(key, Slot{std::move(entry), size, lru_.begin()});
    bytes_ += size;
    return true;
}

void ResponseCache::finish(const std::string& key, std::string_view pending_key,
                           std::shared_ptr<CachedResponse> entry) {
    finish_if_current(key, pending_key, std::move(entry), generation());
}

bool ResponseCache::finish_if_current(const std::string& key, std::string_view pending_key,
                                      std::shared_ptr<CachedResponse> entry, std::uint64_t seen) {
    std::vector<Waiter> waiters;
    {
        std::lock_guard lock(mutex_);
        // Invalidated since: nothing happens, and the leader (still the leader) calls its handler.
        if (generation_.load(std::memory_order_relaxed) != seen) return false;
        auto p = pending_.find(pending_key.empty() ? std::string_view(key) : pending_key);
        std::shared_ptr<Pending> pending;
        if (p != pending_.end()) {
            pending = p->second;
            pending_.erase(p);
        }
        if (entry) store_locked(key, entry);
        if (pending) waiters.swap(pending->waiters);
    }
    for (auto& w : waiters) w(entry);  // outside the lock: they post to other engine threads
    return true;
}

void ResponseCache::set_far_tier(std::shared_ptr<FarCacheTier> tier) { far_.store(std::move(tier)); }

void ResponseCache::store_locked(const std::string& key, const std::shared_ptr<CachedResponse>& entry) {
    entry->key = entry->vary.empty() ? key : key + entry->vary_key;
    const bool stored = insert_locked(entry->key, entry);
    if (stored && !entry->vary.empty()) {
        auto marker = std::make_shared<CachedResponse>();
        marker->vary_marker = true;
        marker->vary = entry->vary;
        marker->tags = entry->tags;
        marker->path = entry->path;
        marker->stored = entry->stored;
        // No expiry of its own: once its variants expire, a lookup still finds which one to
        // replace (an expired marker would leave them behind, unreachable, until evicted).
        // A marker goes with the LRU, an invalidation, or a response with other Vary.
        marker->expires = std::chrono::steady_clock::time_point::max();
        insert_locked(key, std::move(marker));
    }
    if (stored) {
        if (entry->route_counters) entry->route_counters->stores.fetch_add(1, std::memory_order_relaxed);
        for (const auto& t : entry->tag_counters) t->stores.fetch_add(1, std::memory_order_relaxed);
        evict_locked();
    }
}

void ResponseCache::erase_locked(Slots::iterator it, bool evicted) {
    const auto& e = *it->second.entry;
    if (evicted && !e.vary_marker) {
        if (e.route_counters) e.route_counters->evictions.fetch_add(1, std::memory_order_relaxed);
        for (const auto& t : e.tag_counters) t->evictions.fetch_add(1, std::memory_order_relaxed);
    }
    markers_ -= e.vary_marker ? 1 : 0;
    bytes_ -= std::min(bytes_, it->second.size);
    lru_.erase(it->second.lru);
    slots_.erase(it);
}

void ResponseCache::evict_locked() {
    while (bytes_ > max_bytes_ && !lru_.empty()) erase_locked(slots_.find(lru_.back()), true);
}

void ResponseCache::set_invalidation_listener(InvalidationListener listener) {
    std::lock_guard lock(listener_mutex_);
    listener_ = std::move(listener);
}

void ResponseCache::tell(const std::vector<std::string>& tags, std::optional<std::string_view> path, Origin origin) {
    if (origin != Origin::Here) return;
    if (auto far = far_tier()) far->invalidated(tags, path);
    std::lock_guard lock(listener_mutex_);
    if (listener_) listener_(tags, path);
}

std::size_t ResponseCache::invalidate_tags(const std::vector<std::string>& tags, Origin origin) {
    tell(tags, std::nullopt, origin);
    std::lock_guard lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
    std::size_t removed = 0;
    for (auto it = slots_.begin(); it != slots_.end();) {
        const auto& e = *it->second.entry;
        bool match = false;
        for (std::size_t i = 0; i < e.tags.size(); ++i) {
            if (std::find(tags.begin(), tags.end(), e.tags[i]) == tags.end()) continue;
            match = true;
            if (!e.vary_marker) e.tag_counters[i]->invalidations.fetch_add(1, std::memory_order_relaxed);
        }
        if (!match) {
            ++it;
            continue;
        }
        if (!e.vary_marker) {
            if (e.route_counters) e.route_counters->invalidations.fetch_add(1, std::memory_order_relaxed);
            ++removed;
        }
        auto next = std::next(it);
        erase_locked(it, false);
        it = next;
    }
    return removed;
}

std::size_t ResponseCache::invalidate_path(std::string_view path, Origin origin) {
    tell({}, path, origin);
    std::lock_guard lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
    std::size_t removed = 0;
    for (auto it = slots_.begin(); it != slots_.end();) {
        const auto& e = *it->second.entry;
        if (e.path != path) {
            ++it;
            continue;
        }
        if (!e.vary_marker) {
            if (e.route_counters) e.route_counters->invalidations.fetch_add(1, std::memory_order_relaxed);
            for (const auto& t : e.tag_counters) t->invalidations.fetch_add(1, std::memory_order_relaxed);
            ++removed;
        }
        auto next = std::next(it);
        erase_locked(it, false);
        it = next;
    }
    return removed;
}

void ResponseCache::clear() {
    std::lock_guard lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
    slots_.clear();
    lru_.clear();
    bytes_ = 0;
    markers_ = 0;
}

void ResponseCache::add_bytes(const CachedResponse* entry, std::size_t n) {
    std::lock_guard lock(mutex_);
    const auto it = slots_.find(entry->key);
    if (it == slots_.end() || it->second.entry.get() != entry) return;  // already gone or replaced
    it->second.size += n;  // so eviction and invalidation give these bytes back
    bytes_ += n;
    evict_locked();
}

std::size_t ResponseCache::bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

std::size_t ResponseCache::entries() const {
    std::lock_guard lock(mutex_);
    return slots_.size() - markers_;
}

void ResponseCache::set_max_bytes(std::size_t n) {
    std::lock_guard lock(mutex_);
    max_bytes_ = n;
    evict_locked();
}

namespace {

std::vector<ResponseCache::Stat> stats_of(const std::map<std::string, std::shared_ptr<CacheCounters>, std::less<>>& m) {
    std::vector<ResponseCache::Stat> out;
    for (const auto& [label, c] : m) {
        out.push_back({label, c->hits.load(std::memory_order_relaxed), c->misses.load(std::memory_order_relaxed),
                       c->stores.load(std::memory_order_relaxed), c->evictions.load(std::memory_order_relaxed),
                       c->invalidations.load(std::memory_order_relaxed)});
    }
    return out;
}

}  // namespace

std::vector<ResponseCache::Stat> ResponseCache::route_stats() const {
    std::lock_guard lock(mutex_);
    return counter_store_ ? counter_store_->stats(false) : stats_of(route_counters_);
}

std::vector<ResponseCache::Stat> ResponseCache::tag_stats() const {
    std::lock_guard lock(mutex_);
    return counter_store_ ? counter_store_->stats(true) : stats_of(tag_counters_);
}

}  // namespace cello::engine
