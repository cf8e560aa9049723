#include "engine/cache/cache_middleware.hpp"

#include "engine/route_table.hpp"
#include "engine/status.hpp"

#include <algorithm>
#include <charconv>

namespace cello::engine {

namespace {

constexpr std::chrono::milliseconds kFollowerWait{30'000};

// 206 is a part of the representation (Response.file with a Range): never the answer for everyone.
bool cacheable_status(int status) { return status >= 200 && status < 300 && status != 206; }

void add_header_number(Response& res, const char* name, long long value) {
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, value);
    res.headers.emplace_back(name, std::string(digits, r.ptr));
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

}  // namespace

void append_cache_key(std::string& key, const Request& req, const std::vector<std::string>& vary) {
    key += req.path;
    if (!req.query.empty()) {
        // Sorted, so ?a=1&b=2 and ?b=2&a=1 share an entry. Parts stay percent-encoded.
        std::vector<std::string_view> parts;
        std::string_view rest = req.query;
        while (!rest.empty()) {
            const auto amp = rest.find('&');
            if (const auto part = rest.substr(0, amp); !part.empty()) parts.push_back(part);
            rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        }
        std::sort(parts.begin(), parts.end());
        for (std::size_t i = 0; i < parts.size(); ++i) {
            key += i ? '&' : '?';
            key += parts[i];
        }
    }
    for (const auto& name : vary) {
        key += '\n';
        key += name;
        key += ':';
        key += req.header(name);
    }
}

bool CacheMiddleware::before(Exchange& ex) {
    if (!ex.route || !ex.route->cache) return false;
    if (ex.method != static_cast<std::uint8_t>(Method::Get) && ex.method != static_cast<std::uint8_t>(Method::Head))
        return false;
    const CachePolicy& policy = *ex.route->cache;
    std::string& key = ex.cache_key;
    key = "GET ";  // HEAD is answered from the GET entry
    if (policy.custom_key) {
        key += ex.route->pattern;
        key += '\n';
        if (!policy.custom_key(ex.req, key)) {
            ex.cache = CacheOutcome::Bypass;
            return false;
        }
    } else {
        append_cache_key(key, ex.req, policy.vary);
    }
    const auto now = std::chrono::steady_clock::now();
    auto found = cache_->lookup(key, now, kFollowerWait);
    if (found.entry) {
        if (policy.counters) policy.counters->hits.fetch_add(1, std::memory_order_relaxed);
        for (const auto& t : policy.tag_counters) t->hits.fetch_add(1, std::memory_order_relaxed);
        ex.cache = CacheOutcome::Hit;
        ex.cache_entry = std::move(found.entry);
        serve(ex, *ex.cache_entry, now);
        return true;
    }
    if (policy.counters) policy.counters->misses.fetch_add(1, std::memory_order_relaxed);
    for (const auto& t : policy.tag_counters) t->misses.fetch_add(1, std::memory_order_relaxed);
    ex.cache = CacheOutcome::Miss;
    ex.cache_leader = found.role == ResponseCache::Role::Leader;
    return false;
}

void CacheMiddleware::after(Exchange& ex) {
    if (ex.cache != CacheOutcome::Miss) return;
    Response& res = ex.res;
    const bool has_cookie = std::any_of(res.headers.begin(), res.headers.end(),
                                        [](const auto& h) { return iequals(h.first, "set-cookie"); });
    std::shared_ptr<CachedResponse> entry;
    if (ex.cache_leader && cacheable_status(res.status) && !res.stream && !has_cookie) {
        const CachePolicy& policy = *ex.route->cache;
        entry = std::make_shared<CachedResponse>();
        entry->status = res.status;
        entry->content_type = res.content_type;
        entry->headers = res.headers;
        entry->body = res.body;
        entry->path = std::string(ex.req.path);
        entry->tags = policy.tags;
        entry->stored = std::chrono::steady_clock::now();
        entry->expires = entry->stored + policy.ttl;
        entry->route_counters = policy.counters;
        entry->tag_counters = policy.tag_counters;
        ex.cache_entry = entry;
    }
    if (ex.cache_leader) cache_->finish(ex.cache_key, std::move(entry));
    res.headers.emplace_back("X-Cache", "MISS");
}

}  // namespace cello::engine
