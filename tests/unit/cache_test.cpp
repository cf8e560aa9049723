// The response cache's safety rules on their own: keys (Host, query order, header values), the
// credentials rule, Cache-Control / Vary / Expires judgement, Vary variants and coalescing in
// ResponseCache, and the middleware's outcomes.
#include "engine/cache/cache_codec.hpp"
#include "engine/cache/cache_key.hpp"
#include "engine/cache/cache_middleware.hpp"
#include "engine/cache/cache_policy.hpp"
#include "engine/cache/response_cache.hpp"
#include "engine/cache/response_storability.hpp"
#include "engine/middleware/response_headers.hpp"
#include "engine/route_table.hpp"

#include <gtest/gtest.h>

#include <functional>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace ce = cello::engine;
using namespace std::chrono_literals;

namespace {

// A GET request for `target` with these headers; owns what the Request's views point into.
struct Req {
    std::string target;
    std::vector<ce::Header> headers;
    ce::Request req;

    explicit Req(std::string t, std::vector<ce::Header> h = {}) : target(std::move(t)), headers(std::move(h)) {
        req.method = "GET";
        req.target = target;
        const auto q = req.target.find('?');
        req.raw_path = req.path = req.target.substr(0, q);
        req.query = q == std::string_view::npos ? std::string_view{} : req.target.substr(q + 1);
        req.headers = headers.data();
        req.header_count = headers.size();
    }
    Req(const Req&) = delete;
    Req& operator=(const Req&) = delete;
};

std::string key_of(const Req& r, const std::vector<std::string>& vary = {}) {
    std::string key;
    ce::append_cache_key(key, r.req, vary);
    return key;
}

ce::Response response(std::vector<std::pair<std::string, std::string>> headers, int status = 200) {
    ce::Response res;
    res.status = status;
    res.body = "body";
    res.headers = std::move(headers);
    return res;
}

std::shared_ptr<ce::CachedResponse> entry_for(const std::string& body, const ce::Request& req,
                                              std::vector<std::string> vary = {}, bool shared = false) {
    auto e = std::make_shared<ce::CachedResponse>();
    e->body = body;
    e->path = std::string(req.path);
    e->expires = std::chrono::steady_clock::now() + 1h;
    if (!vary.empty()) e->vary_key = ce::vary_key(vary, req);
    e->vary = std::move(vary);
    e->shared = shared;
    return e;
}

}  // namespace

// -- keys --------------------------------------------------------------------------------------

TEST(CacheKey, RepeatedQueryNamesKeepTheirOrder) {
    EXPECT_NE(key_of(Req("/q?a=1&a=2")), key_of(Req("/q?a=2&a=1")));
    EXPECT_EQ(key_of(Req("/q?a=1&b=2")), key_of(Req("/q?b=2&a=1")));
    EXPECT_EQ(key_of(Req("/q?b=0&a=1&a=2")), key_of(Req("/q?a=1&b=0&a=2")));
    EXPECT_NE(key_of(Req("/q?b=0&a=1&a=2")), key_of(Req("/q?a=2&b=0&a=1")));
    EXPECT_EQ(key_of(Req("/q?a&&b")), key_of(Req("/q?b&a")));  // empty parts are no parameters
    EXPECT_EQ(key_of(Req("/q?ab=1&a=2")), key_of(Req("/q?a=2&ab=1&")));  // by name: "a" before "ab"
}

TEST(CacheKey, HostIsPartOfTheKeyCaseInsensitively) {
    Req a("/p", {{"Host", "a.example"}});
    Req upper("/p", {{"host", "A.EXAMPLE"}});
    Req b("/p", {{"Host", "b.example"}});
    Req none("/p");
    EXPECT_EQ(key_of(a), key_of(upper));
    EXPECT_NE(key_of(a), key_of(b));
    EXPECT_NE(key_of(a), key_of(none));
}

TEST(CacheKey, TheRawPathIsKeyedNotTheDecodedOne) {
    // "/a%3Fb" decodes to the path "/a?b"; it must not share the entry of path "/a", query "b".
    Req encoded("/a%3Fb");
    encoded.req.path = "/a?b";
    EXPECT_NE(key_of(encoded), key_of(Req("/a?b")));
}

TEST(CacheKey, HeaderValuesAllLinesAndAbsence) {
    const std::vector<std::string> vary{"accept-language"};
    Req absent("/p");
    Req empty("/p", {{"Accept-Language", ""}});
    Req one("/p", {{"Accept-Language", "en"}});
    Req two("/p", {{"Accept-Language", "en"}, {"accept-language", "de"}});
    Req two_other("/p", {{"Accept-Language", "en"}, {"accept-language", "fr"}});
    EXPECT_NE(key_of(absent, vary), key_of(empty, vary));
    EXPECT_NE(key_of(one, vary), key_of(two, vary));
    EXPECT_NE(key_of(two, vary), key_of(two_other, vary));  // the second line counts too
    // A value cannot smuggle in what looks like another header's part of the key.
    Req crafted("/p", {{"A", "1\nb=1:x"}});
    Req honest("/p", {{"A", "1"}, {"B", "x"}});
    EXPECT_NE(key_of(crafted, {"a", "b"}), key_of(honest, {"a", "b"}));
}

TEST(CachePolicy, SetVaryNormalisesAndRefusesNonNames) {
    ce::CachePolicy p;
    p.set_vary({"Accept-Language", "AUTHORIZATION", "accept-language"});
    EXPECT_EQ(p.vary, (std::vector<std::string>{"accept-language", "authorization"}));
    EXPECT_TRUE(p.keys_authorization);
    EXPECT_FALSE(p.keys_cookie);
    for (const char* bad : {"", "*", "Bad Header", "a:b", "x\n"})
        EXPECT_THROW(p.set_vary({bad}), std::invalid_argument) << bad;
}

TEST(CacheKey, CredentialsTheKeyDoesNotSeparate) {
    ce::CachePolicy plain, by_auth, by_cookie;
    by_auth.set_vary({"Authorization"});
    by_cookie.set_vary({"Cookie"});
    Req anon("/p", {{"Accept", "*/*"}});
    Req cookie("/p", {{"COOKIE", "s=1"}});
    Req auth("/p", {{"authorization", "Bearer x"}});
    Req empty("/p", {{"Cookie", ""}});
    EXPECT_FALSE(ce::carries_unkeyed_credentials(anon.req, plain));
    EXPECT_TRUE(ce::carries_unkeyed_credentials(cookie.req, plain));
    EXPECT_TRUE(ce::carries_unkeyed_credentials(auth.req, plain));
    EXPECT_FALSE(ce::carries_unkeyed_credentials(empty.req, plain));
    EXPECT_FALSE(ce::carries_unkeyed_credentials(auth.req, by_auth));
    EXPECT_TRUE(ce::carries_unkeyed_credentials(cookie.req, by_auth));
    EXPECT_FALSE(ce::carries_unkeyed_credentials(cookie.req, by_cookie));
}

// -- what a response allows ------------------------------------------------------------------------

TEST(CacheControl, Directives) {
    ce::CacheControl cc;
    cc.add(R"(Public, MAX-AGE=60, ext="no-store, private", max-age=30)");
    EXPECT_TRUE(cc.public_);
    EXPECT_FALSE(cc.no_store);  // inside a quoted string
    EXPECT_FALSE(cc.private_);
    EXPECT_EQ(cc.max_age, 30);  // repeated: the most restrictive
    EXPECT_FALSE(cc.s_maxage);

    ce::CacheControl quoted;
    quoted.add(R"(private="Set-Cookie, X-Id", s-maxage="20", no-cache)");
    EXPECT_TRUE(quoted.private_);
    EXPECT_TRUE(quoted.no_cache);
    EXPECT_EQ(quoted.s_maxage, 20);

    ce::CacheControl odd;
    odd.add(R"(max-age=soon,, ,s-maxage=99999999999999999999, x="unterminated, no-store)");
    EXPECT_EQ(odd.max_age, 0);              // malformed: stale
    EXPECT_EQ(odd.s_maxage, 2147483648);    // too large: 2^31
    EXPECT_FALSE(odd.no_store);
}

TEST(JudgeResponse, WhatIsNotStored) {
    const std::int64_t now = 1'700'000'000;
    const std::vector<std::vector<std::pair<std::string, std::string>>> refused = {
        {{"Cache-Control", "no-store"}},
        {{"cache-control", "max-age=60"}, {"Cache-Control", "Private"}},
        {{"Cache-Control", "no-cache=\"Set-Cookie\""}},
        {{"Cache-Control", "max-age=0"}},
        {{"Cache-Control", "max-age=60, s-maxage=0"}},
        {{"Vary", "Accept-Language, *"}},
        {{"Set-Cookie", "s=1"}},
        {{"Expires", "0"}},
        {{"Expires", "Sun, 06 Nov 1994 08:49:37 GMT"}},
        {{"Expires", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}},
    };
    for (const auto& headers : refused) {
        const auto judged = ce::judge_response(response(headers), now);
        EXPECT_FALSE(judged.storable) << headers.front().first << ": " << headers.front().second;
        EXPECT_STRNE(judged.why, "");
    }
    EXPECT_FALSE(ce::judge_response(response({}, 404), now).storable);
    EXPECT_FALSE(ce::judge_response(response({}, 206), now).storable);
    EXPECT_TRUE(ce::judge_response(response({}, 204), now).storable);
}

TEST(JudgeResponse, LifetimeSharedAndVary) {
    const std::int64_t now = 1'700'000'000;  // Tue, 14 Nov 2023 22:13:20 GMT
    auto plain = ce::judge_response(response({{"Content-Language", "en"}}), now);
    EXPECT_TRUE(plain.storable);
    EXPECT_FALSE(plain.shared);
    EXPECT_FALSE(plain.lifetime);

    auto j = ce::judge_response(response({{"Cache-Control", "public, max-age=60, s-maxage=10"},
                                          {"Vary", "X-Tenant, accept-language"},
                                          {"vary", "Accept-Language"}}),
                                now);
    EXPECT_TRUE(j.storable && j.shared);
    EXPECT_EQ(j.lifetime, std::chrono::seconds(10));  // s-maxage wins for a shared cache
    EXPECT_EQ(j.vary, (std::vector<std::string>{"accept-language", "x-tenant"}));

    auto expires = ce::judge_response(response({{"Expires", "Tue, 14 Nov 2023 22:14:20 GMT"}}), now);
    EXPECT_EQ(expires.lifetime, std::chrono::seconds(60));
    auto dated = ce::judge_response(response({{"Expires", "Tue, 14 Nov 2023 22:14:20 GMT"},
                                              {"Date", "Tue, 14 Nov 2023 22:14:00 GMT"}}),
                                    now);
    EXPECT_EQ(dated.lifetime, std::chrono::seconds(20));  // relative to the response's own Date
    auto max_age_wins = ce::judge_response(response({{"Expires", "0"}, {"Cache-Control", "max-age=5"}}), now);
    EXPECT_EQ(max_age_wins.lifetime, std::chrono::seconds(5));
}

// -- the cache -----------------------------------------------------------------------------------

TEST(ResponseCacheVary, EachVariantHasItsOwnEntry) {
    ce::ResponseCache cache(1 << 20);
    const auto now = std::chrono::steady_clock::now();
    const std::vector<std::string> vary{"accept-language"};
    Req en("/p", {{"Accept-Language", "en"}});
    Req de("/p", {{"Accept-Language", "de"}});
    Req none("/p");

    auto first = cache.lookup("K", en.req, now);
    ASSERT_EQ(first.role, ce::ResponseCache::Role::Leader);
    EXPECT_TRUE(first.variant_key.empty());  // no marker yet
    cache.finish("K", first.variant_key, entry_for("en", en.req, vary));
    EXPECT_EQ(cache.entries(), 1u);  // the marker is no entry

    auto hit = cache.lookup("K", en.req, now);
    ASSERT_EQ(hit.role, ce::ResponseCache::Role::Hit);
    EXPECT_EQ(hit.entry->body, "en");

    auto miss = cache.lookup("K", de.req, now);
    ASSERT_EQ(miss.role, ce::ResponseCache::Role::Leader);
    EXPECT_EQ(miss.variant_key, "K" + ce::vary_key(vary, de.req));
    cache.finish("K", miss.variant_key, entry_for("de", de.req, vary));
    EXPECT_EQ(cache.entries(), 2u);

    EXPECT_EQ(cache.lookup("K", de.req, now).entry->body, "de");
    EXPECT_EQ(cache.lookup("K", en.req, now).entry->body, "en");
    auto absent = cache.lookup("K", none.req, now);
    EXPECT_EQ(absent.role, ce::ResponseCache::Role::Leader);
    cache.finish("K", absent.variant_key, nullptr);

    // Invalidation counts entries, and takes the marker with them.
    EXPECT_EQ(cache.invalidate_path("/p"), 2u);
    EXPECT_EQ(cache.entries(), 0u);
    EXPECT_EQ(cache.bytes(), 0u);
    EXPECT_EQ(cache.lookup("K", en.req, now).role, ce::ResponseCache::Role::Leader);
}

TEST(ResponseCacheVary, AnExpiredVariantIsAMissAndIsReplaced) {
    ce::ResponseCache cache(1 << 20);
    const auto now = std::chrono::steady_clock::now();
    Req en("/p", {{"Accept-Language", "en"}});
    auto lead = cache.lookup("K", en.req, now);
    cache.finish("K", lead.variant_key, entry_for("en", en.req, {"accept-language"}));
    auto later = cache.lookup("K", en.req, now + 2h);
    EXPECT_EQ(later.role, ce::ResponseCache::Role::Leader);
    EXPECT_FALSE(later.variant_key.empty());  // the marker outlives its variants
    EXPECT_EQ(cache.entries(), 0u);           // the expired variant was dropped
    auto again = entry_for("en again", en.req, {"accept-language"});
    again->expires = now + 3h;
    cache.finish("K", later.variant_key, again);
    EXPECT_EQ(cache.entries(), 1u);
    auto hit = cache.lookup("K", en.req, now + 2h);
    ASSERT_EQ(hit.role, ce::ResponseCache::Role::Hit);
    EXPECT_EQ(hit.entry->body, "en again");
}

TEST(ResponseCacheVary, PeekOnlyReadsSharedEntries) {
    ce::ResponseCache cache(1 << 20);
    const auto now = std::chrono::steady_clock::now();
    Req r("/p");
    using Role = ce::ResponseCache::Role;
    auto mode = ce::ResponseCache::Mode::Peek;
    EXPECT_EQ(cache.lookup("A", r.req, now, mode).role, Role::Pass);  // nothing pending afterwards:
    EXPECT_EQ(cache.lookup("A", r.req, now).role, Role::Leader);      // a Join call still leads
    cache.finish("A", "", entry_for("private to nobody", r.req));
    EXPECT_EQ(cache.lookup("A", r.req, now, mode).role, Role::Pass);
    cache.lookup("B", r.req, now);
    cache.finish("B", "", entry_for("for everyone", r.req, {}, true));
    auto hit = cache.lookup("B", r.req, now, mode);
    ASSERT_EQ(hit.role, Role::Hit);
    EXPECT_EQ(hit.entry->body, "for everyone");
}

TEST(ResponseCacheFollowers, AFollowerWithoutAWaiterAnswersWithoutTheCache) {
    ce::ResponseCache cache(1 << 20);
    const auto now = std::chrono::steady_clock::now();
    Req r("/p", {});
    ASSERT_EQ(cache.lookup("K", r.req, now).role, ce::ResponseCache::Role::Leader);
    const auto follower = cache.lookup("K", r.req, now);  // returns at once: nothing to wait with
    EXPECT_EQ(follower.role, ce::ResponseCache::Role::Follower);
    EXPECT_FALSE(follower.suspended);
    EXPECT_FALSE(follower.entry);
    cache.finish("K", "", entry_for("x", r.req, {}));
    EXPECT_EQ(cache.lookup("K", r.req, now).role, ce::ResponseCache::Role::Hit);
}

TEST(ResponseCacheFollowers, ASuspendedFollowerGetsTheEntryThroughItsWaiterWithoutBlocking) {
    ce::ResponseCache cache(1 << 20);
    const auto now = std::chrono::steady_clock::now();
    Req de("/p", {{"Accept-Language", "de"}});
    Req en("/p", {{"Accept-Language", "en"}});
    ASSERT_EQ(cache.lookup("K", de.req, now).role, ce::ResponseCache::Role::Leader);
    std::vector<ce::CacheEntryPtr> got;
    int made = 0;
    const std::function<ce::ResponseCache::Waiter()> suspend = [&] {
        ++made;
        return [&got](ce::CacheEntryPtr e) { got.push_back(std::move(e)); };
    };
    // Followers never block: with `suspend` each registers a waiter and returns at once.
    auto first = cache.lookup("K", de.req, now, ce::ResponseCache::Mode::Join, &suspend);
    auto second = cache.lookup("K", en.req, now, ce::ResponseCache::Mode::Join, &suspend);
    EXPECT_EQ(first.role, ce::ResponseCache::Role::Follower);
    EXPECT_TRUE(first.suspended && second.suspended);
    EXPECT_EQ(made, 2);
    EXPECT_TRUE(got.empty());
    cache.finish("K", "", entry_for("de", de.req, {"accept-language"}));
    ASSERT_EQ(got.size(), 2u);
    ASSERT_TRUE(got[0] && got[1]);
    EXPECT_TRUE(ce::ResponseCache::fits(*got[0], de.req));
    EXPECT_FALSE(ce::ResponseCache::fits(*got[1], en.req));  // its follower calls the handler itself
    // A hit never makes a waiter (nothing is allocated for it).
    EXPECT_EQ(cache.lookup("K", de.req, now, ce::ResponseCache::Mode::Join, &suspend).role,
              ce::ResponseCache::Role::Hit);
    EXPECT_EQ(made, 2);
}

TEST(ResponseCacheFollowers, AnAbandonedLeaderReleasesItsFollowersWithNothing) {
    ce::ResponseCache cache(1 << 20);
    const auto now = std::chrono::steady_clock::now();
    Req r("/p", {});
    ASSERT_EQ(cache.lookup("K", r.req, now).role, ce::ResponseCache::Role::Leader);
    int calls = 0;
    bool empty = false;
    const std::function<ce::ResponseCache::Waiter()> suspend = [&] {
        return [&](ce::CacheEntryPtr e) { ++calls, empty = !e; };
    };
    EXPECT_TRUE(cache.lookup("K", r.req, now, ce::ResponseCache::Mode::Join, &suspend).suspended);
    cache.finish("K", "", nullptr);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(empty);
    EXPECT_EQ(cache.lookup("K", r.req, now).role, ce::ResponseCache::Role::Leader);  // nothing pending
    cache.finish("K", "", nullptr);
}

// -- the middleware --------------------------------------------------------------------------------

TEST(CacheMiddleware, CredentialsAreABypassNotAMiss) {
    auto cache = std::make_shared<ce::ResponseCache>(1 << 20);
    auto policy = std::make_shared<ce::CachePolicy>();
    policy->counters = cache->route_counters("GET /p");
    ce::Route route;
    route.pattern = "/p";
    route.cache = policy;
    ce::CacheMiddleware mw(cache);
    ce::RouteTable table;

    auto run = [&](Req& r, ce::Response& res, std::vector<std::pair<std::string, std::string>> answer) {
        ce::Exchange ex(table, r.req, res);
        ex.method = static_cast<std::uint8_t>(ce::Method::Get);
        ex.route = &route;
        if (!mw.before(ex)) {
            res.body = "fresh";
            res.headers = std::move(answer);
            mw.after(ex);
        }
        return ex.cache;
    };
    Req alice("/p", {{"Cookie", "s=alice"}});
    Req anon("/p");
    ce::Response r1, r2, r3, r4;
    EXPECT_EQ(run(alice, r1, {}), ce::CacheOutcome::Bypass);
    ASSERT_TRUE(ce::has_header(r1, "x-cache"));
    EXPECT_EQ(*ce::find_header(r1, "x-cache"), "BYPASS");  // said, as the original Cello does
    EXPECT_EQ(cache->entries(), 0u);  // her response was not stored
    EXPECT_EQ(run(anon, r2, {{"Cache-Control", "private"}}), ce::CacheOutcome::Miss);
    EXPECT_EQ(cache->entries(), 0u);
    EXPECT_EQ(run(anon, r3, {}), ce::CacheOutcome::Miss);
    EXPECT_EQ(cache->entries(), 1u);
    EXPECT_EQ(run(alice, r4, {}), ce::CacheOutcome::Bypass);  // stored, but not public
    EXPECT_EQ(policy->counters->misses.load(), 2u);
    EXPECT_EQ(policy->counters->hits.load(), 0u);
    EXPECT_EQ(policy->counters->stores.load(), 1u);
}

// The far tier's bytes (Redis): what comes back is what serving needs, with wall-clock times made
// steady again; other versions' bytes, damaged bytes and expired entries are misses.
TEST(CacheCodec, RoundTripAndRefusals) {
    using namespace cello::engine;
    CachedResponse e;
    e.status = 203;
    e.content_type = "application/json";
    e.headers = {{"ETag", "\"v1\""}, {"X-Empty", ""}};
    e.body = std::string("a\0b", 3) + std::string(70000, 'x');
    e.path = "/users/7";
    e.tags = {"users", "user:7"};
    e.shared = true;
    const std::int64_t now_ms = 1'800'000'000'000;
    const auto bytes = encode_cached(e, now_ms - 4'000, now_ms + 56'000);
    const auto steady = std::chrono::steady_clock::now();
    const auto back = decode_cached(bytes, now_ms, steady);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->status, 203);
    EXPECT_EQ(back->content_type, e.content_type);
    EXPECT_EQ(back->headers, e.headers);
    EXPECT_EQ(back->body, e.body);
    EXPECT_EQ(back->path, e.path);
    EXPECT_EQ(back->tags, e.tags);
    EXPECT_TRUE(back->shared);
    EXPECT_EQ(back->stored, steady - std::chrono::milliseconds(4'000));  // Age 4 s
    EXPECT_EQ(back->expires, steady + std::chrono::milliseconds(56'000));
    EXPECT_FALSE(decode_cached(bytes, now_ms + 56'000, steady));  // expired
    for (std::size_t cut : {std::size_t{0}, std::size_t{5}, std::size_t{20}, bytes.size() - 1})
        EXPECT_FALSE(decode_cached(std::string_view(bytes).substr(0, cut), now_ms, steady)) << cut;
    EXPECT_FALSE(decode_cached(bytes + "x", now_ms, steady));  // trailing garbage
    std::string other = bytes;
    other[12] = '9';  // "cello-cache/9": another version's
    EXPECT_FALSE(decode_cached(other, now_ms, steady));
    std::string huge = bytes;  // a length beyond the bytes there are
    huge[std::string_view("cello-cache/1\n").size() + 32 + 7] = '\x7f';
    EXPECT_FALSE(decode_cached(huge, now_ms, steady));
}
