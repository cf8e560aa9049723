#include "engine/router.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

using namespace cello::engine;

namespace {

struct Found {
    Router::Outcome outcome;
    std::uint32_t id;
    RouteMatch match;
    std::string allow;
};

Found find(const Router& r, Method m, std::string_view path) {
    Found f{};
    auto res = r.find(m, path, f.match);
    f.outcome = res.outcome;
    f.id = res.route_id;
    f.allow = std::string(res.allow);
    return f;
}

}  // namespace

TEST(Router, StaticBeatsParamBeatsCatchAll) {
    Router r;
    r.add(Method::Get, "/users/{id}", 1);
    r.add(Method::Get, "/users/me", 2);
    r.add(Method::Get, "/users/{rest:path}", 3);
    EXPECT_EQ(find(r, Method::Get, "/users/me").id, 2u);
    auto p = find(r, Method::Get, "/users/42");
    EXPECT_EQ(p.id, 1u);
    ASSERT_EQ(p.match.param_count, 1u);
    EXPECT_EQ(p.match.params[0].name, "id");
    EXPECT_EQ(p.match.params[0].value, "42");
    auto c = find(r, Method::Get, "/users/42/posts/7");
    EXPECT_EQ(c.id, 3u);
    EXPECT_EQ(c.match.params[0].value, "42/posts/7");
}

TEST(Router, BacktracksFromStaticToParam) {
    Router r;
    r.add(Method::Get, "/a/b/c", 1);
    r.add(Method::Get, "/a/{x}/d", 2);
    auto f = find(r, Method::Get, "/a/b/d");
    EXPECT_EQ(f.outcome, Router::Outcome::Found);
    EXPECT_EQ(f.id, 2u);
    EXPECT_EQ(f.match.params[0].value, "b");
}

TEST(Router, IntParamsAcceptDigitsOnly) {
    Router r;
    r.add(Method::Get, "/items/{id:int}", 1);
    EXPECT_EQ(find(r, Method::Get, "/items/123").outcome, Router::Outcome::Found);
    EXPECT_EQ(find(r, Method::Get, "/items/12a").outcome, Router::Outcome::NotFound);
    EXPECT_EQ(find(r, Method::Get, "/items/-1").outcome, Router::Outcome::NotFound);
    EXPECT_EQ(find(r, Method::Get, "/items/").outcome, Router::Outcome::NotFound);
    EXPECT_EQ(find(r, Method::Get, "/items/5").match.params[0].type, ParamType::Int);
}

TEST(Router, IntParamsAreSigned64BitValues) {
    std::int64_t v = -1;
    EXPECT_TRUE(parse_int_param("0", v));
    EXPECT_EQ(v, 0);
    EXPECT_TRUE(parse_int_param("9223372036854775807", v));
    EXPECT_EQ(v, INT64_MAX);
    EXPECT_TRUE(parse_int_param("007", v));
    EXPECT_EQ(v, 7);
    EXPECT_TRUE(parse_int_param(std::string(5000, '0') + "42", v));  // many digits, small value
    EXPECT_EQ(v, 42);
    for (std::string_view bad : {"", "-1", "+1", " 1", "1 ", "1a", "0x10", "9223372036854775808",
                                 "18446744073709551616", "99999999999999999999999999999"})
        EXPECT_FALSE(parse_int_param(bad, v)) << bad;
    EXPECT_FALSE(parse_int_param(std::string(5000, '7'), v));
}

TEST(Router, IntParamsBeyondTheRangeDoNotMatch) {
    Router r;
    r.add(Method::Get, "/items/{id:int}", 1);
    EXPECT_EQ(find(r, Method::Get, "/items/9223372036854775807").outcome, Router::Outcome::Found);
    EXPECT_EQ(find(r, Method::Get, "/items/9223372036854775808").outcome, Router::Outcome::NotFound);
    EXPECT_EQ(find(r, Method::Get, "/items/" + std::string(5000, '9')).outcome, Router::Outcome::NotFound);
    // Not matching the int route means the next candidate gets it, as for any other value.
    r.add(Method::Get, "/items/{*rest}", 2);
    const auto f = find(r, Method::Get, "/items/" + std::string(30, '9'));
    EXPECT_EQ(f.outcome, Router::Outcome::Found);
    EXPECT_EQ(f.id, 2u);
}

TEST(Router, CatchAllSpellingsAndEmptyRemainder) {
    Router r;
    r.add(Method::Get, "/files/{*path}", 1);
    auto f = find(r, Method::Get, "/files/a/b/c.txt");
    EXPECT_EQ(f.match.params[0].name, "path");
    EXPECT_EQ(f.match.params[0].value, "a/b/c.txt");
    EXPECT_EQ(find(r, Method::Get, "/files/").match.params[0].value, "");
    EXPECT_EQ(find(r, Method::Get, "/files").outcome, Router::Outcome::NotFound);
    Router r2;
    r2.add(Method::Get, "/static/{p:path}", 1);
    EXPECT_EQ(find(r2, Method::Get, "/static/x/y").match.params[0].value, "x/y");
}

TEST(Router, TrailingSlashAndCaseAreStrict) {
    Router r;
    r.add(Method::Get, "/users", 1);
    EXPECT_EQ(find(r, Method::Get, "/users").outcome, Router::Outcome::Found);
    EXPECT_EQ(find(r, Method::Get, "/users/").outcome, Router::Outcome::NotFound);
    EXPECT_EQ(find(r, Method::Get, "/Users").outcome, Router::Outcome::NotFound);
    Router root;
    root.add(Method::Get, "/", 7);
    EXPECT_EQ(find(root, Method::Get, "/").id, 7u);
    EXPECT_EQ(find(root, Method::Get, "//").outcome, Router::Outcome::NotFound);
}

TEST(Router, MethodNotAllowedListsAllowedMethods) {
    Router r;
    r.add(Method::Get, "/things", 1);
    r.add(Method::Post, "/things", 2);
    auto f = find(r, Method::Delete, "/things");
    EXPECT_EQ(f.outcome, Router::Outcome::MethodNotAllowed);
    EXPECT_EQ(f.allow, "GET, HEAD, POST, OPTIONS");
    EXPECT_EQ(find(r, Method::Delete, "/nothing").outcome, Router::Outcome::NotFound);
}

TEST(Router, MethodMatchPrefersNodeWithThatMethod) {
    Router r;
    r.add(Method::Post, "/users/me", 1);
    r.add(Method::Get, "/users/{id}", 2);
    EXPECT_EQ(find(r, Method::Get, "/users/me").id, 2u);
    EXPECT_EQ(find(r, Method::Post, "/users/me").id, 1u);
}

TEST(Router, ConflictsAreRejectedAndLeaveTreeUntouched) {
    Router r;
    r.add(Method::Get, "/users/{id}", 1);
    EXPECT_THROW(r.add(Method::Get, "/users/{id}", 2), RouteError);
    EXPECT_THROW(r.add(Method::Get, "/users/{uid}/posts", 3), RouteError);
    EXPECT_THROW(r.add(Method::Get, "/users/{id:int}/x", 4), RouteError);
    r.add(Method::Post, "/users/{id}", 5);  // other method on the same pattern is fine
    r.add(Method::Get, "/f/{a:path}", 6);
    EXPECT_THROW(r.add(Method::Post, "/f/{b:path}", 7), RouteError);
    EXPECT_EQ(find(r, Method::Get, "/users/1/posts").outcome, Router::Outcome::NotFound);
    try {
        r.add(Method::Get, "/users/{id}", 9);
        FAIL();
    } catch (const RouteError& e) {
        EXPECT_NE(std::string(e.what()).find("/users/{id}"), std::string::npos);
    }
}

TEST(Router, MalformedPatternsAreRejected) {
    Router r;
    for (const char* bad : {"", "users", "/a/{", "/a/{}", "/a/x{id}", "/a/{id}x", "/a/{1id}", "/a/{id:float}",
                            "/a/{p:path}/b", "/a/{*p}/b", "/a/{id}/{id}", "/a/{{id}}"}) {
        EXPECT_THROW(r.add(Method::Get, bad, 1), RouteError) << bad;
    }
}

TEST(Router, ManyParams) {
    Router r;
    r.add(Method::Get, "/{a}/{b}/{c}/{d}", 1);
    auto f = find(r, Method::Get, "/1/2/3/4");
    ASSERT_EQ(f.match.param_count, 4u);
    EXPECT_EQ(f.match.params[3].name, "d");
    EXPECT_EQ(f.match.params[3].value, "4");
    EXPECT_EQ(find(r, Method::Get, "/1/2//4").outcome, Router::Outcome::NotFound);
}

// --- lookup allocates nothing: count every operator new made while routing -------------------

namespace {
thread_local std::size_t t_allocations = 0;
}

void* operator new(std::size_t size) {
    ++t_allocations;
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
// Not inlined: GCC would then see free() of operator new's pointer and warn (-Wmismatched-new-delete).
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

TEST(Router, LookupAllocatesNothing) {
    Router r;
    r.add(Method::Get, "/", 0);
    r.add(Method::Get, "/users/{id:int}", 1);
    r.add(Method::Get, "/users/me", 2);
    r.add(Method::Post, "/users/{id:int}/posts/{post}", 3);
    r.add(Method::Get, "/files/{path:path}", 4);
    RouteMatch m;
    const std::size_t probe = t_allocations;
    ::operator delete(::operator new(8));  // a direct call: the compiler may not elide it
    ASSERT_EQ(t_allocations, probe + 1) << "the counting operator new is not in effect";
    const std::size_t before = t_allocations;
    std::size_t found = 0;
    for (int i = 0; i < 1000; ++i) {
        for (const char* path : {"/", "/users/42", "/users/me", "/users/42/posts/abc", "/files/a/b/c", "/nope/x"}) {
            found += r.find(Method::Get, path, m).outcome == Router::Outcome::Found;
            found += r.find(Method::Post, path, m).outcome == Router::Outcome::Found;
        }
    }
    EXPECT_EQ(t_allocations - before, 0u);
    EXPECT_EQ(found, 5000u);  // per round: 4 paths found for GET, 1 for POST
}
