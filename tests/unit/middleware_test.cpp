// The HTTP middleware's pieces on their own: Accept-Encoding, gzip, CORS origins, request ids,
// client addresses and token buckets; then each middleware driven through an Exchange.
#include "engine/middleware/accept_encoding.hpp"
#include "engine/middleware/client_address.hpp"
#include "engine/middleware/compression_middleware.hpp"
#include "engine/middleware/cors_middleware.hpp"
#include "engine/middleware/gzip.hpp"
#include "engine/middleware/request_id_middleware.hpp"
#include "engine/cache/response_cache.hpp"
#include "engine/middleware/response_headers.hpp"
#include "engine/route_table.hpp"
#include "engine/middleware/security_headers_middleware.hpp"
#include "engine/middleware/token_bucket.hpp"
#include "engine/middleware_registry.hpp"
#include "engine/health/health_state.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace ce = cello::engine;

namespace {

std::string gunzip(const std::string& gz) {
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
    std::string out(1 << 20, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    z.avail_in = static_cast<uInt>(gz.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
    out.resize(z.total_out);
    inflateEnd(&z);
    return out;
}

using H = std::vector<ce::Header>;

// Exchange is an aggregate whose later members have defaults: naming only the first ones is the
// intended way to build one, not an oversight.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

// A request with headers, and an Exchange around it. Not copyable: the Exchange points into it.
struct Fixture {
    std::vector<ce::Header> headers;
    ce::Request req;
    ce::Response res;
    ce::RouteTable table;
    ce::Exchange ex{table, req, res};

    explicit Fixture(std::vector<ce::Header> h, std::string_view method = "GET", std::string_view ip = "127.0.0.1")
        : headers(std::move(h)) {
        req.method = method;
        req.target = req.path = req.raw_path = "/";
        req.headers = headers.data();
        req.header_count = headers.size();
        req.client_ip = ip;
        ce::Method m{};
        if (ce::parse_method(method, m)) ex.method = static_cast<std::uint8_t>(m);
        ex.head_only = method == "HEAD";
    }
    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;
};

#pragma GCC diagnostic pop

}  // namespace

// -- Accept-Encoding ---------------------------------------------------------------------------

TEST(AcceptEncoding, QValues) {
    EXPECT_EQ(ce::parse_qvalue("1"), 1000);
    EXPECT_EQ(ce::parse_qvalue("1.000"), 1000);
    EXPECT_EQ(ce::parse_qvalue("0"), 0);
    EXPECT_EQ(ce::parse_qvalue("0."), 0);
    EXPECT_EQ(ce::parse_qvalue("0.5"), 500);
    EXPECT_EQ(ce::parse_qvalue("0.001"), 1);
    EXPECT_EQ(ce::parse_qvalue("1.001"), -1);
    EXPECT_EQ(ce::parse_qvalue("0.0001"), -1);
    EXPECT_EQ(ce::parse_qvalue("2"), -1);
    EXPECT_EQ(ce::parse_qvalue(".5"), -1);
    EXPECT_EQ(ce::parse_qvalue(""), -1);
}

TEST(AcceptEncoding, Decisions) {
    for (const char* yes : {"gzip", "GZip", "x-gzip", "*", "gzip;q=0.001", "br, gzip", " gzip ; q=1 ",
                            "gzip, identity;q=0", "identity;q=0.5, gzip;q=0.5", "gzip;level=9;q=0.4",
                            "gzip, gzip;q=0", ",,gzip,,"})
        EXPECT_TRUE(ce::accepts_gzip(yes)) << yes;
    for (const char* no : {"", "identity", "br", "gzip;q=0", "gzip;q=0.000", "*;q=0", "gzip;q=0, *",
                           "identity;q=0", "identity, gzip;q=0.5", "gzip;q=5", "gzip;q=", "gzipx", "gzip;q=0.5, *;q=1",
                           "*;q=0.5, identity;q=1"})
        EXPECT_FALSE(ce::accepts_gzip(no)) << no;
}

TEST(AcceptEncoding, SeveralLinesAreOneList) {
    ce::AcceptEncoding a;
    a.add("br");
    a.add("gzip;q=0.5");
    EXPECT_TRUE(a.gzip());
}

TEST(AcceptEncoding, ReadsOnlyTheFirstEntriesAndBytes) {
    std::string many;
    for (unsigned i = 0; i < ce::AcceptEncoding::kMaxEntries; ++i)
        many.append("c").append(std::to_string(i)).append(", ");
    EXPECT_FALSE(ce::accepts_gzip(many + "gzip"));
    EXPECT_TRUE(ce::accepts_gzip("gzip, " + many));
    const std::string pad(ce::AcceptEncoding::kMaxBytes - 10, 'x');
    EXPECT_TRUE(ce::accepts_gzip(pad + ", gzip"));                 // inside the budget
    EXPECT_FALSE(ce::accepts_gzip(pad + ", gzip;q=0.0000000"));    // cut entry dropped, not read as gzip
    EXPECT_FALSE(ce::accepts_gzip(std::string(100000, 'a') + ",gzip"));
}

TEST(Compression, CompressibleTypes) {
    for (const char* yes : {"text/plain", "text/html; charset=utf-8", "application/json", "APPLICATION/JSON",
                            "application/javascript", "application/xml", "image/svg+xml",
                            "application/problem+json; charset=utf-8", "application/vnd.api+json"})
        EXPECT_TRUE(ce::compressible_type(yes)) << yes;
    for (const char* no : {"", "image/png", "application/octet-stream", "application/zip", "font/woff2", "text/",
                           "video/mp4", "+json", "application/jsonx"})
        EXPECT_FALSE(ce::compressible_type(no)) << no;
}

TEST(Gzip, RoundTripReusesTheThreadStream) {
    std::string out;
    for (int round = 0; round < 3; ++round) {
        std::string in;
        for (int i = 0; i < 2000 + round; ++i) in += "row " + std::to_string(i % 37) + "\n";
        ASSERT_TRUE(ce::gzip_compress(in, 6, out));
        EXPECT_LT(out.size(), in.size() / 3);
        EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x1f);
        EXPECT_EQ(static_cast<unsigned char>(out[1]), 0x8b);
        EXPECT_EQ(gunzip(out), in);
    }
    ASSERT_TRUE(ce::gzip_compress("", 1, out));
    EXPECT_EQ(gunzip(out), "");
    EXPECT_FALSE(ce::gzip_compress("x", 0, out));
}

// -- response headers ----------------------------------------------------------------------------

TEST(ResponseHeaders, AddVaryMerges) {
    ce::Response res;
    ce::add_vary(res, "Accept-Encoding");
    ce::add_vary(res, "accept-encoding");
    ce::add_vary(res, "Origin");
    ASSERT_EQ(res.headers.size(), 1u);
    EXPECT_EQ(res.headers[0].second, "Accept-Encoding, Origin");
    ce::Response star;
    star.headers.emplace_back("vary", "*");
    ce::add_vary(star, "Origin");
    EXPECT_EQ(star.headers[0].second, "*");
}

// -- CORS ---------------------------------------------------------------------------------------

TEST(Cors, ValidOrigins) {
    for (const char* yes : {"https://app.example", "http://localhost:3000", "null", "http://127.0.0.1:8080",
                            "https://[2001:db8::1]:443", "chrome-extension://abcdef", "HTTPS://APP.EXAMPLE"})
        EXPECT_TRUE(ce::valid_origin(yes)) << yes;
    for (const char* no : {"", "garbage", "https://", "https://app.example/", "https://app.example/x",
                           "https://a.example, https://b.example", "https://a.example https://b.example",
                           "https://user@app.example", "https://app.example:", "https://app.example:123456",
                           "://app.example", "1http://x", "https://[zz::1]", "https://[]", "Null"})
        EXPECT_FALSE(ce::valid_origin(no)) << no;
    EXPECT_FALSE(ce::valid_origin("https://" + std::string(600, 'a')));
}

TEST(Cors, PreflightAnsweredAndRefused) {
    ce::Config config;
    config.set("origins", std::vector<std::string>{"https://app.example"});
    config.set("methods", std::vector<std::string>{"GET", "POST"});
    config.set("headers", std::vector<std::string>{"X-Token"});
    config.set("credentials", true);
    config.set("max_age", std::int64_t{60});
    auto cors = ce::make_cors_middleware(config);

    Fixture ok(H{{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"},
                {"Access-Control-Request-Headers", "x-token"}}, "OPTIONS");
    ASSERT_TRUE(cors->before(ok.ex));
    EXPECT_EQ(ok.res.status, 204);
    EXPECT_EQ(*ce::find_header(ok.res, "access-control-allow-origin"), "https://app.example");
    EXPECT_EQ(*ce::find_header(ok.res, "access-control-allow-credentials"), "true");
    EXPECT_EQ(*ce::find_header(ok.res, "access-control-allow-methods"), "GET, POST");
    EXPECT_EQ(*ce::find_header(ok.res, "access-control-allow-headers"), "X-Token");
    EXPECT_EQ(*ce::find_header(ok.res, "access-control-max-age"), "60");
    cors->after(ok.ex);  // nothing more for a preflight
    EXPECT_EQ(ok.res.headers.size(), 6u);

    Fixture bad(H{{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}}, "OPTIONS");
    ASSERT_TRUE(cors->before(bad.ex));
    EXPECT_EQ(bad.res.status, 403);
    EXPECT_TRUE(bad.res.headers.empty());

    Fixture actual(H{{"Origin", "https://app.example"}});
    EXPECT_FALSE(cors->before(actual.ex));
    cors->after(actual.ex);
    EXPECT_EQ(*ce::find_header(actual.res, "access-control-allow-origin"), "https://app.example");
    EXPECT_EQ(*ce::find_header(actual.res, "vary"), "Origin");
}

TEST(Cors, BadSettingsAreRefused) {
    ce::Config config;
    config.set("origins", std::vector<std::string>{"https://app.example/"});
    EXPECT_THROW(ce::make_cors_middleware(config), std::invalid_argument);
}

// -- request id ---------------------------------------------------------------------------------

TEST(RequestId, SaneValues) {
    EXPECT_TRUE(ce::sane_request_id("abc-123"));
    EXPECT_TRUE(ce::sane_request_id(std::string(128, 'a')));
    EXPECT_FALSE(ce::sane_request_id(std::string(129, 'a')));
    for (const char* no : {"", "a b", "a\"b", "a'b", "a\\b", "caf\xc3\xa9", "a\tb", "a\x7f"})
        EXPECT_FALSE(ce::sane_request_id(no)) << no;
}

TEST(RequestId, GeneratedIdsAreUuid4AndDistinct) {
    std::set<std::string> seen;
    std::string id;
    for (int i = 0; i < 10000; ++i) {
        ce::new_request_id(id);
        ASSERT_EQ(id.size(), 36u);
        EXPECT_EQ(id[14], '4');
        EXPECT_NE(std::string_view("89ab").find(id[19]), std::string_view::npos) << id;
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 10000u);
}

TEST(RequestId, SetsRequestAndResponse) {
    auto mw = ce::make_request_id_middleware(ce::Config{});
    Fixture given(H{{"x-request-id", "from-client"}});
    mw->before(given.ex);
    EXPECT_EQ(given.req.id, "from-client");
    EXPECT_EQ(given.req.id.data(), given.ex.request_id.data());
    mw->after(given.ex);
    EXPECT_EQ(*ce::find_header(given.res, "X-Request-ID"), "from-client");

    Fixture bad(H{{"X-Request-ID", "two words"}});
    mw->before(bad.ex);
    EXPECT_EQ(bad.req.id.size(), 36u);
}

// -- security headers -----------------------------------------------------------------------------

TEST(SecurityHeaders, AddsMissingOnly) {
    ce::Config config;
    config.set("headers", ce::Pairs{{"X-Frame-Options", "DENY"}, {"X-Content-Type-Options", "nosniff"}});
    auto mw = ce::make_security_headers_middleware(config);
    Fixture f(H{});
    f.res.headers.emplace_back("x-frame-options", "SAMEORIGIN");
    mw->after(f.ex);
    ASSERT_EQ(f.res.headers.size(), 2u);
    EXPECT_EQ(f.res.headers[0].second, "SAMEORIGIN");
    EXPECT_EQ(f.res.headers[1].second, "nosniff");

    ce::Config empty;
    empty.set("headers", std::vector<std::string>{});  // what an empty Python list becomes
    EXPECT_NO_THROW(ce::make_security_headers_middleware(empty));
    ce::Config bad;
    bad.set("headers", ce::Pairs{{"X-Bad", "a\r\nb"}});
    EXPECT_THROW(ce::make_security_headers_middleware(bad), std::invalid_argument);
}

// -- compression through an Exchange ------------------------------------------------------------

TEST(Compression, CachedEntryIsCompressedOnce) {
    ce::Config config;
    auto mw = ce::make_compression_middleware(config);
    auto cache = std::make_shared<ce::ResponseCache>(1 << 20);
    std::string body;
    for (int i = 0; i < 500; ++i) body += "cached line\n";
    auto entry = std::make_shared<ce::CachedResponse>();
    entry->body = body;
    const auto now = std::chrono::steady_clock::now();
    entry->expires = now + std::chrono::hours(1);
    const ce::Request anonymous;
    ASSERT_EQ(cache->lookup("GET /k", anonymous, now).role,
              ce::ResponseCache::Role::Leader);
    cache->finish("GET /k", "", entry);  // stored: the gzip variant is counted against this entry
    const std::size_t before = cache->bytes();

    std::string first;
    for (int round = 0; round < 3; ++round) {
        Fixture f(H{{"Accept-Encoding", "gzip"}});
        f.table.set_cache(cache);
        f.ex.cache_entry = entry;
        f.res.content_type = "text/plain";
        f.res.body = body;
        mw->after(f.ex);
        ASSERT_TRUE(entry->has_gzip());
        EXPECT_EQ(*ce::find_header(f.res, "content-encoding"), "gzip");
        if (round == 0) first = f.res.body;
        EXPECT_EQ(f.res.body, first);
        EXPECT_EQ(cache->bytes(), before + first.size());  // counted once
    }
    EXPECT_EQ(gunzip(first), body);
    cache->invalidate_path("");  // entry->path is empty: gone, and its variant's bytes with it
    EXPECT_EQ(cache->bytes(), 0u);
}

TEST(Compression, SkipsWhatMustNotBeCompressed) {
    auto mw = ce::make_compression_middleware(ce::Config{});
    const std::string body(4096, 'a');
    auto run = [&](Fixture& f, int status, const char* type) {
        f.res.status = status;
        f.res.content_type = type;
        f.res.body = body;
        mw->after(f.ex);
        return ce::has_header(f.res, "content-encoding");
    };
    Fixture ok(H{{"Accept-Encoding", "gzip"}});
    EXPECT_TRUE(run(ok, 200, "text/plain"));
    Fixture image(H{{"Accept-Encoding", "gzip"}});
    EXPECT_FALSE(run(image, 200, "image/png"));
    Fixture no_content(H{{"Accept-Encoding", "gzip"}});
    EXPECT_FALSE(run(no_content, 204, "text/plain"));
    Fixture partial(H{{"Accept-Encoding", "gzip"}});
    EXPECT_FALSE(run(partial, 206, "text/plain"));
    Fixture head(H{{"Accept-Encoding", "gzip"}}, "HEAD");
    EXPECT_FALSE(run(head, 200, "text/plain"));
    EXPECT_TRUE(ce::has_header(head.res, "vary"));
    Fixture none(H{});
    EXPECT_FALSE(run(none, 200, "text/plain"));
}

// -- client address -------------------------------------------------------------------------------

TEST(ClientAddress, ParsesForms) {
    EXPECT_EQ(ce::parse_ip("1.2.3.4")->to_string(), "1.2.3.4");
    EXPECT_EQ(ce::parse_ip(" 1.2.3.4:5678 ")->to_string(), "1.2.3.4");
    EXPECT_EQ(ce::parse_ip("::ffff:1.2.3.4")->to_string(), "1.2.3.4");
    EXPECT_TRUE(ce::parse_ip("::ffff:1.2.3.4")->is_v4());
    EXPECT_EQ(ce::parse_ip("[2001:db8::1]:443")->to_string(), "2001:db8::1");
    EXPECT_EQ(ce::parse_ip("2001:db8::1")->to_string(), "2001:db8::1");
    for (const char* no : {"", "unknown", "1.2.3", "1.2.3.4.5", "256.1.1.1", "[::1", "[::1]x", "1.2.3.4:x",
                           "example.com", "::::::"})
        EXPECT_FALSE(ce::parse_ip(no)) << no;
}

TEST(ClientAddress, Networks) {
    const auto v4 = *ce::parse_network("10.9.0.0/16");
    EXPECT_TRUE(v4.contains(*ce::parse_ip("10.9.255.1")));
    EXPECT_FALSE(v4.contains(*ce::parse_ip("10.10.0.1")));
    EXPECT_TRUE(ce::parse_network("0.0.0.0/0")->contains(*ce::parse_ip("8.8.8.8")));
    EXPECT_FALSE(ce::parse_network("0.0.0.0/0")->contains(*ce::parse_ip("::1")));
    EXPECT_TRUE(ce::parse_network("fd00::/8")->contains(*ce::parse_ip("fd12::1")));
    EXPECT_TRUE(ce::parse_network("10.0.0.1/31")->contains(*ce::parse_ip("10.0.0.0")));
    EXPECT_TRUE(ce::parse_network("127.0.0.1")->contains(*ce::parse_ip("127.0.0.1")));
    EXPECT_FALSE(ce::parse_network("127.0.0.1")->contains(*ce::parse_ip("127.0.0.2")));
    for (const char* no : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "::/129", "nope"})
        EXPECT_FALSE(ce::parse_network(no)) << no;
}

TEST(ClientAddress, ForwardedForFromTrustedPeersOnly) {
    const std::vector<ce::IpNetwork> trusted{*ce::parse_network("127.0.0.1"), *ce::parse_network("10.0.0.0/8")};
    auto client = [&](std::vector<ce::Header> h, std::string_view peer = "127.0.0.1") {
        Fixture f(std::move(h), "GET", peer);
        return ce::client_address(f.req, trusted).to_string();
    };
    EXPECT_EQ(client({}), "127.0.0.1");
    EXPECT_EQ(client({{"X-Forwarded-For", "203.0.113.1"}}), "203.0.113.1");
    EXPECT_EQ(client({{"X-Forwarded-For", "203.0.113.1"}}, "192.0.2.1"), "192.0.2.1");  // untrusted peer
    EXPECT_EQ(client({{"X-Forwarded-For", "1.1.1.1, 203.0.113.1"}}), "203.0.113.1");   // left part is the client's
    EXPECT_EQ(client({{"X-Forwarded-For", "203.0.113.1, 10.1.1.1, 10.2.2.2"}}), "203.0.113.1");
    EXPECT_EQ(client({{"x-forwarded-for", "9.9.9.9"}, {"X-Forwarded-For", "203.0.113.2, 10.1.1.1"}}), "203.0.113.2");
    EXPECT_EQ(client({{"X-Forwarded-For", "10.1.1.1, 10.2.2.2"}}), "10.1.1.1");  // all trusted: left-most
    EXPECT_EQ(client({{"X-Forwarded-For", "garbage"}}), "127.0.0.1");
    EXPECT_EQ(client({{"X-Forwarded-For", "203.0.113.1, garbage, 10.1.1.1"}}), "10.1.1.1");
    std::string long_chain = "203.0.113.9";
    for (unsigned i = 0; i < ce::kMaxForwardedHops + 5; ++i) long_chain += ", 10.0.0.1";
    EXPECT_EQ(client({{"X-Forwarded-For", long_chain}}), "10.0.0.1");  // gave up, at a trusted hop
    EXPECT_EQ(client({{"X-Forwarded-For", "203.0.113.1"}}, "::ffff:127.0.0.1"), "203.0.113.1");
}

// -- token buckets --------------------------------------------------------------------------------

namespace {
ce::TokenBuckets::Key key(std::uint8_t n) {
    ce::TokenBuckets::Key k{};
    k[15] = n;
    k[14] = static_cast<std::uint8_t>(n >> 8);
    return k;
}
constexpr std::int64_t kSec = 1'000'000'000;
}  // namespace

TEST(TokenBuckets, BurstThenRefill) {
    ce::TokenBuckets b(2.0, 3.0, 1000);  // 2 per second, 3 at once
    const std::int64_t t0 = 100 * kSec;
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.take(key(1), t0).allowed);
    const auto denied = b.take(key(1), t0);
    EXPECT_FALSE(denied.allowed);
    EXPECT_NEAR(denied.retry_after, 0.5, 1e-9);
    EXPECT_TRUE(b.take(key(2), t0).allowed);             // per key
    EXPECT_FALSE(b.take(key(1), t0 + kSec / 4).allowed);  // half a token
    EXPECT_TRUE(b.take(key(1), t0 + kSec / 2).allowed);   // one token
    EXPECT_FALSE(b.take(key(1), t0 + kSec / 4).allowed);  // a clock read late does not refill
    const auto later = b.take(key(1), t0 + 100 * kSec);   // capped at the burst
    EXPECT_TRUE(later.allowed);
    EXPECT_NEAR(later.tokens, 2.0, 1e-9);
}

TEST(TokenBuckets, MemoryIsBounded) {
    ce::TokenBuckets b(1.0, 5.0, 640);  // 10 per shard
    ce::TokenBuckets::Key k{};
    k[8] = 1;
    for (std::uint32_t i = 0; i < 20000; ++i) {
        std::memcpy(k.data(), &i, sizeof i);
        EXPECT_TRUE(b.take(k, 2 * kSec).allowed);  // new keys start full
    }
    EXPECT_LE(b.size(), 640u);
}

TEST(TokenBuckets, IdleBucketsAreSweptFirst) {
    ce::TokenBuckets b(1.0, 2.0, ce::TokenBuckets::kShards);  // one bucket per shard
    ce::TokenBuckets::Key k{};
    for (std::uint32_t i = 0; i < 5000; ++i) {
        std::memcpy(k.data(), &i, sizeof i);
        b.take(k, kSec);
    }
    EXPECT_LE(b.size(), ce::TokenBuckets::kShards);
    // A busy bucket keeps its state while idle ones make room.
    ce::TokenBuckets c(1.0, 2.0, ce::TokenBuckets::kShards * 4);
    EXPECT_TRUE(c.take(key(7), 10 * kSec).allowed);
    EXPECT_TRUE(c.take(key(7), 10 * kSec).allowed);
    EXPECT_FALSE(c.take(key(7), 10 * kSec).allowed);
}

TEST(MiddlewareRegistry, EveryListedMiddlewareIsBuiltInChainOrder) {
    const auto names = ce::middleware_names();
    ASSERT_GE(names.size(), 8u);
    EXPECT_EQ(names.front(), "health");  // probes first: answered before any other middleware sees them
    int last_rank = -1;
    for (const auto name : names) {
        if (name == "static") continue;  // needs a directory setting
        const auto entry = ce::make_middleware(name, ce::Config{});
        EXPECT_TRUE(entry.middleware) << name;
        EXPECT_GT(entry.rank, last_rank) << name;  // the list is in chain order
        last_rank = entry.rank;
    }
    EXPECT_THROW(ce::make_middleware("no_such_thing", ce::Config{}), std::invalid_argument);
}

TEST(MiddlewareNotes, OneWordPerMiddlewareCarriedToCompletion) {
    ce::MiddlewareNotes notes;
    int a = 0, b = 0;
    EXPECT_EQ(notes.get(&a, 7), 7u);  // nothing set: the fallback
    EXPECT_TRUE(notes.set(&a, 1));
    EXPECT_TRUE(notes.set(&b, 2));
    EXPECT_TRUE(notes.set(&a, 3));  // replaces a's
    ce::MiddlewareNotes copied = notes;
    EXPECT_EQ(copied.get(&a), 3u);
    EXPECT_EQ(copied.get(&b), 2u);
    int others[ce::MiddlewareNotes::kCapacity];
    std::size_t stored = 0;
    for (int& o : others) stored += notes.set(&o, 9);
    EXPECT_EQ(stored, ce::MiddlewareNotes::kCapacity - 2);  // full: the rest are refused, not dropped silently
}

namespace {

std::string header_of(const ce::Response& res, std::string_view name) {
    for (const auto& [n, v] : res.headers)
        if (n == name) return v;
    return "<none>";
}

// before() for a GET of `path` from `ip`: whether the middleware answered, and its response.
std::pair<bool, ce::Response> ask(ce::Middleware& m, std::string_view path, std::string_view ip = "192.0.2.1",
                                  std::string_view method = "GET") {
    Fixture f({}, method, ip);
    f.req.target = f.req.path = f.req.raw_path = path;
    const bool answered = m.before(f.ex);
    return {answered, std::move(f.res)};
}

}  // namespace

TEST(SlidingWindow, CountsEachClientWithoutABurstAtTheEdge) {
    const auto m = ce::make_middleware("sliding_window", ce::Config({{"max_requests", std::int64_t{3}},
                                                                     {"window_secs", 3600.0}})).middleware;
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(ask(*m, "/").first) << i;
    auto [refused, res] = ask(*m, "/");
    ASSERT_TRUE(refused);
    EXPECT_EQ(res.status, 429);
    EXPECT_EQ(header_of(res, "RateLimit-Limit"), "3");
    EXPECT_GE(std::stoll(header_of(res, "Retry-After")), 1);
    EXPECT_FALSE(ask(*m, "/", "192.0.2.2").first);  // another client has its own window
    EXPECT_THROW(ce::make_middleware("sliding_window", ce::Config({{"max_requests", std::int64_t{0}}})),
                 std::invalid_argument);
}

TEST(AdaptiveRateLimit, HoldsEveryClientToTheSmallBudgetWhileAnswersFail) {
    const auto m = ce::make_middleware("adaptive_rate_limit",
                                       ce::Config({{"capacity", 100.0}, {"refill_rate", 1.0}, {"min_capacity", 3.0},
                                                   {"error_threshold", 0.5}})).middleware;
    for (int i = 0; i < 10; ++i) EXPECT_FALSE(ask(*m, "/", "192.0.2.7").first);  // healthy: the whole budget
    ce::Completion failed;
    failed.status = 500;
    for (int i = 0; i < 19; ++i) m->complete(failed, 0);
    EXPECT_FALSE(ask(*m, "/", "192.0.2.8").first);  // 19 answers: too few to judge
    m->complete(failed, 0);
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(ask(*m, "/", "192.0.2.8").first) << i;
    auto [refused, res] = ask(*m, "/", "192.0.2.8");
    ASSERT_TRUE(refused);
    EXPECT_EQ(res.status, 429);
    EXPECT_EQ(header_of(res, "RateLimit-Limit"), "3");
    ce::Completion own_refusal;
    own_refusal.status = 429;  // its own refusals are not answers that say how the server fares
    for (int i = 0; i < 100; ++i) m->complete(own_refusal, 0);
    EXPECT_TRUE(ask(*m, "/", "192.0.2.8").first);
}

TEST(HealthProbes, AnswerFromTheStateAndStayUnobserved) {
    auto state = ce::HealthState::named("unit-test");
    const auto m = ce::make_middleware("health", ce::Config({{"state", std::string("unit-test")},
                                                             {"version", std::string("9.9")}})).middleware;
    EXPECT_FALSE(ask(*m, "/healthz").first);  // not a probe
    EXPECT_FALSE(ask(*m, "/health/other").first);
    auto [answered, res] = ask(*m, "/health/startup");
    ASSERT_TRUE(answered);
    EXPECT_EQ(res.status, 503);
    EXPECT_EQ(ask(*m, "/health/live").second.status, 200);  // alive while starting
    EXPECT_EQ(ask(*m, "/health/ready").second.body, R"({"status":"unavailable","reason":"starting","version":"9.9","checks":{}})");
    state->set_started(true);
    EXPECT_EQ(ask(*m, "/health/startup").second.status, 200);
    EXPECT_EQ(ask(*m, "/health/readiness").second.status, 200);
    state->report("db", false, "connection \"refused\"");
    const auto failing = ask(*m, "/health").second;
    EXPECT_EQ(failing.status, 503);
    EXPECT_NE(failing.body.find(R"("db":{"status":"failing","message":"connection \"refused\"")"), std::string::npos)
        << failing.body;
    state->report("db", true, "");
    EXPECT_EQ(ask(*m, "/health/").second.status, 200);
    state->set_draining(true);
    EXPECT_NE(ask(*m, "/health/ready").second.body.find(R"("reason":"draining")"), std::string::npos);
    EXPECT_EQ(ask(*m, "/health/ready", "192.0.2.1", "POST").second.status, 405);
    Fixture f({});
    f.req.target = f.req.path = f.req.raw_path = "/health/live";
    EXPECT_TRUE(m->before(f.ex));
    EXPECT_TRUE(f.ex.unobserved);  // kept out of /metrics
    EXPECT_THROW(ce::make_middleware("health", ce::Config({{"base_path", std::string("health")}})), std::invalid_argument);
}
