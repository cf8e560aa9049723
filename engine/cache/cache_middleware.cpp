#include "engine/cache/cache_middleware.hpp"

#include "engine/cache/cache_key.hpp"
#include "engine/cache/cache_policy.hpp"
#include "engine/cache/far_cache_tier.hpp"
#include "engine/cache/response_storability.hpp"
#include "engine/pending_response.hpp"
#include "engine/route_table.hpp"

#include <algorithm>

namespace cello::engine {

namespace {

constexpr std::chrono::milliseconds kFollowerWait{30'000};

void add_header_number(Response& res, const char* name, long long value) {
    std::string digits;
    append_decimal(digits, static_cast<std::uint64_t>(value < 0 ? 0 : value));
    res.headers.emplace_back(name, std::move(digits));
}

void serve(Exchange& ex, const CachedResponse& e, std::chrono::steady_clock::time_point now) {
    Response& res = ex.res;
    res.status = e.status;
    res.content_type = e.content_type;
    res.headers.assign(e.headers.begin(), e.headers.end());
    res.body = e.body;
    res.headers.emplace_back("X-Cache", "HIT");
    add_header_number(res, "Age", std::chrono::duration_cast<std::chrono::seconds>(now - e.stored).count());
}

bool serve_hit(Exchange& ex, CacheEntryPtr entry) {
    const CachePolicy& policy = *ex.route->cache;
    if (policy.counters) policy.counters->hits.fetch_add(1, std::memory_order_relaxed);
    for (const auto& t : policy.tag_counters) t->hits.fetch_add(1, std::memory_order_relaxed);
    ex.cache = CacheOutcome::Hit;
    ex.cache_entry = std::move(entry);
    serve(ex, *ex.cache_entry, std::chrono::steady_clock::now());
    return true;
}

void count_miss(Exchange& ex) {
    const CachePolicy& policy = *ex.route->cache;
    if (policy.counters) policy.counters->misses.fetch_add(1, std::memory_order_relaxed);
    for (const auto& t : policy.tag_counters) t->misses.fetch_add(1, std::memory_order_relaxed);
    ex.cache = CacheOutcome::Miss;
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

bool CacheMiddleware::before(Exchange& ex) {
    if (!ex.route || !ex.route->cache) return false;
    if (ex.method != static_cast<std::uint8_t>(Method::Get) && ex.method != static_cast<std::uint8_t>(Method::Head))
        return false;
    const CachePolicy& policy = *ex.route->cache;
    const RequestFacts facts = scan_request(ex.req, policy);
    // Built in this thread's buffer, which keeps its capacity: a hit allocates nothing. Only a
    // miss copies it into the exchange (its after() may run later, after other requests).
    thread_local std::string key;
    key = "GET ";  // HEAD is answered from the GET entry
    append_cache_host(key, facts.host);
    key += ' ';
    if (policy.custom_key) {
        key += ex.route->pattern;
        key += '\n';
        std::string custom;
        if (!policy.custom_key(ex.req, custom)) {
            ex.cache = CacheOutcome::Bypass;
            return false;
        }
        key += std::to_string(custom.size());  // length-prefixed: no result can mimic the vary part
        key += ':';
        key += custom;
    } else {
        append_cache_target(key, ex.req);
    }
    append_cache_headers(key, ex.req, policy.vary);
    // One user's credentials the key does not separate: such a request may only read an entry
    // the application marked public, and its own response is never stored (RFC 9111 3.5).
    const auto mode = facts.unkeyed_credentials ? ResponseCache::Mode::Peek : ResponseCache::Mode::Join;
    // A follower waits for its leader without holding this engine thread: the exchange is
    // suspended, and resumed on its own thread once the leader has finished.
    std::shared_ptr<PendingResponse> pending;
    const std::function<ResponseCache::Waiter()> suspend = [&pending] {
        pending = std::make_shared<PendingResponse>();
        return [p = pending](CacheEntryPtr entry) {
            p->resume([entry = std::move(entry)](Exchange& resumed) {
                if (entry && ResponseCache::fits(*entry, resumed.req)) return serve_hit(resumed, entry);
                count_miss(resumed);  // nothing that fits: this request calls the handler itself
                return false;
            });
        };
    };
    auto found = cache_->lookup(key, ex.req, std::chrono::steady_clock::now(), mode, &suspend);
    if (found.entry) return serve_hit(ex, std::move(found.entry));
    if (found.role == ResponseCache::Role::Pass) {
        ex.cache = CacheOutcome::Bypass;
        return false;
    }
    if (found.suspended) {
        // A leader that takes longer than this no longer holds its followers: each calls the handler.
        pending->set_deadline(kFollowerWait, [](Exchange& resumed) {
            count_miss(resumed);
            return false;
        });
        ex.res.pending = std::move(pending);
        return true;
    }
    ex.cache_leader = found.role == ResponseCache::Role::Leader;
    if (ex.cache_leader) {
        ex.cache_key = key;
        ex.cache_variant_key = std::move(found.variant_key);
        ex.cache_generation = cache_->generation();
        if (mode == ResponseCache::Mode::Join && ask_far_tier(ex)) return true;
    }
    count_miss(ex);
    return false;
}

// A near miss: the far tier (Redis) may have it. The exchange waits (its thread does not), then
// either serves the far tier's entry, which joins the near tier and answers the followers, or
// goes on to its handler.
bool CacheMiddleware::ask_far_tier(Exchange& ex) {
    const auto far = cache_->far_tier();
    if (!far) return false;
    auto pending = std::make_shared<PendingResponse>();
    const bool asked = far->fetch(ex.cache_key, [pending, cache = cache_](std::shared_ptr<CachedResponse> entry) {
        pending->resume([entry = std::move(entry), cache](Exchange& resumed) {
            if (entry && ResponseCache::fits(*entry, resumed.req)) {
                const CachePolicy& policy = *resumed.route->cache;
                entry->route_counters = policy.counters;
                entry->tag_counters = policy.tag_counters;
                if (cache->finish_if_current(resumed.cache_key, resumed.cache_variant_key, entry,
                                             resumed.cache_generation)) {
                    resumed.cache_leader = false;
                    resumed.cache = CacheOutcome::None;
                    return serve_hit(resumed, entry);
                }
                resumed.cache_generation = cache->generation();  // what the handler's answer is judged by
            }
            count_miss(resumed);  // none, or invalidated meanwhile: the handler answers
            return false;
        });
    });
    if (!asked) return false;
    ex.cache = CacheOutcome::Miss;  // so that abandon() releases the followers if the client leaves
    pending->set_deadline(far->timeout(), [](Exchange& resumed) {
        count_miss(resumed);
        return false;
    });
    ex.res.pending = std::move(pending);
    return true;
}

void CacheMiddleware::after(Exchange& ex) {
    Response& res = ex.res;
    if (ex.cache == CacheOutcome::Bypass) {  // a request the cache may not answer (credentials, key None)
        res.headers.emplace_back("X-Cache", "BYPASS");
        return;
    }
    if (ex.cache != CacheOutcome::Miss) return;
    if (ex.cache_leader) {
        std::shared_ptr<CachedResponse> entry;
        if (Storability judged = judge_response(res, unix_now()); judged.storable) {
            const CachePolicy& policy = *ex.route->cache;
            entry = std::make_shared<CachedResponse>();
            entry->status = res.status;
            entry->content_type = res.content_type;
            entry->headers = res.headers;
            entry->body = res.body;
            entry->path = std::string(ex.req.path);
            entry->tags = policy.tags;
            entry->stored = std::chrono::steady_clock::now();
            // The route's ttl, or less when the response says it is fresh for less.
            entry->expires = entry->stored + (judged.lifetime ? std::min<std::chrono::milliseconds>(
                                                                    policy.ttl, *judged.lifetime)
                                                              : policy.ttl);
            entry->route_counters = policy.counters;
            entry->tag_counters = policy.tag_counters;
            if (!judged.vary.empty()) entry->vary_key = vary_key(judged.vary, ex.req);
            entry->vary = std::move(judged.vary);
            entry->shared = judged.shared;
            ex.cache_entry = entry;
        }
        // Also to the far tier, unless it varies (the far tier keeps no Vary markers) or an
        // invalidation came while the handler ran (it may have read what was invalidated).
        if (entry && entry->vary.empty() && cache_->generation() == ex.cache_generation)
            if (const auto far = cache_->far_tier())
                far->store(ex.cache_key, *entry,
                           std::chrono::duration_cast<std::chrono::milliseconds>(entry->expires - entry->stored));
        cache_->finish(ex.cache_key, ex.cache_variant_key, std::move(entry));
    }
    // A failure is not a response the cache could have given (the original Cello's vocabulary).
    res.headers.emplace_back("X-Cache", res.status >= 200 && res.status < 300 ? "MISS" : "BYPASS");
}

void CacheMiddleware::abandon(Exchange& ex) {
    // A leader whose client went away: its followers must not wait for it (they call the handler).
    if (ex.cache == CacheOutcome::Miss && ex.cache_leader) cache_->finish(ex.cache_key, ex.cache_variant_key, nullptr);
}

}  // namespace cello::engine
