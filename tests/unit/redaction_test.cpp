// engine::Redaction (what the inspector may show of headers and query strings) and Telemetry
// applying it to every record it queues.
#include "engine/telemetry/redaction.hpp"
#include "engine/telemetry/telemetry.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using cello::engine::DetailRecord;
using cello::engine::ErrorRecord;
using cello::engine::Redaction;
using cello::engine::Telemetry;

TEST(Redaction, BuiltInNamesAndSubstringsAnyCase) {
    const Redaction r;
    for (const char* name : {"Authorization", "proxy-authorization", "Cookie", "Set-Cookie", "X-Api-Key",
                             "x-auth-token", "X-AUTH-TOKEN", "My-Secret", "X-Client-Secret-Id", "X-CSRF-Token",
                             "Db-Password", "X-Passwd", "X-Goog-Api-Key", "api_key", "X-ApiKey", "Cookie2"})
        EXPECT_TRUE(r.is_secret(name)) << name;
    for (const char* name : {"Host", "Accept", "Content-Type", "X-Request-ID", "User-Agent", "X-Trace",
                             "WWW-Authenticate", "X-Api", "Key", "Tok-en", ""})
        EXPECT_FALSE(r.is_secret(name)) << name;
}

TEST(Redaction, ValueKeepsOnlyTheLength) {
    const Redaction r;
    EXPECT_EQ(r.value("X-Api-Key", "abcdef"), "<redacted, 6 bytes>");
    EXPECT_EQ(r.value("Cookie", ""), "<redacted, 0 bytes>");
    EXPECT_EQ(r.value("Host", "example.test"), "example.test");
}

TEST(Redaction, ExtraNamesAreExactAndCaseInsensitive) {
    const Redaction r({"X-Tenant", "x-tenant", "Signature"});
    EXPECT_EQ(r.extra_names(), (std::vector<std::string>{"x-tenant", "signature"}));
    EXPECT_TRUE(r.is_secret("x-TENANT"));
    EXPECT_TRUE(r.is_secret("signature"));
    EXPECT_FALSE(r.is_secret("X-Tenant-Name"));  // exact, not a substring
    EXPECT_TRUE(r.is_secret("X-Api-Key"));       // the built-in rule still applies
    EXPECT_FALSE(Redaction().is_secret("X-Tenant"));
}

TEST(Redaction, ExtraNamesMustBeHeaderNames) {
    for (const char* bad : {"", "X Tenant", "x:y", "a,b", "caf\xC3\xA9", "tab\t"})
        EXPECT_THROW(Redaction({bad}), std::invalid_argument) << bad;
}

TEST(Redaction, AppliesToEveryPair) {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Host", "h"}, {"X-Api-Key", "k123"}, {"Set-Cookie", "sid=1"}, {"X-Seen", "yes"}};
    Redaction({"x-seen"}).apply(h);
    EXPECT_EQ(h, (std::vector<std::pair<std::string, std::string>>{{"Host", "h"},
                                                                   {"X-Api-Key", "<redacted, 4 bytes>"},
                                                                   {"Set-Cookie", "<redacted, 5 bytes>"},
                                                                   {"X-Seen", "<redacted, 3 bytes>"}}));
}

TEST(Redaction, QueryParametersWithSecretNames) {
    const Redaction r({"sig"});
    EXPECT_EQ(r.query("a=1&access_token=xyz&b=2"), "a=1&access_token=<redacted, 3 bytes>&b=2");
    EXPECT_EQ(r.query("API_KEY=k&sig=abcd&sig"), "API_KEY=<redacted, 1 bytes>&sig=<redacted, 4 bytes>&sig");
    EXPECT_EQ(r.query("api%5Fkey=k"), "api%5Fkey=<redacted, 1 bytes>");  // matched after decoding
    EXPECT_EQ(r.query("my+secret=s"), "my+secret=<redacted, 1 bytes>");
    EXPECT_EQ(r.query("plain=1&&x=%zz&=v&"), "plain=1&&x=%zz&=v&");   // untouched, shape kept
    EXPECT_EQ(r.query(""), "");
    EXPECT_EQ(r.query("%zz=token"), "%zz=token");
    EXPECT_EQ(r.target("/p/token?token=t&q=\xff"), "/p/token?token=<redacted, 1 bytes>&q=\xff");
    EXPECT_EQ(r.target("/no-query"), "/no-query");
}

TEST(Redaction, TelemetryRedactsEveryRecordItQueues) {
    Telemetry t(1, 16, Redaction({"x-tenant"}));
    ErrorRecord e;
    e.path = "/boom?password=hunter2&n=1";
    e.headers = {{"Authorization", "Bearer x"}, {"X-Tenant", "acme"}, {"Accept", "*/*"}};
    t.record_error(std::move(e));
    const auto errors = t.take_errors();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].path, "/boom?password=<redacted, 7 bytes>&n=1");
    EXPECT_EQ(errors[0].headers[0].second, "<redacted, 8 bytes>");
    EXPECT_EQ(errors[0].headers[1].second, "<redacted, 4 bytes>");
    EXPECT_EQ(errors[0].headers[2].second, "*/*");

    t.set_capture(true);
    DetailRecord d;
    d.query = "token=abc&page=2";
    d.headers = {{"My-Secret", "s"}, {"X-Trace", "t"}};
    d.response_headers = {{"Set-Cookie", "sid=42"}, {"Content-Type", "text/plain"}};
    t.record_detail(std::move(d));
    const auto details = t.take_details();
    ASSERT_EQ(details.size(), 1u);
    EXPECT_EQ(details[0].query, "token=<redacted, 3 bytes>&page=2");
    EXPECT_EQ(details[0].headers[0].second, "<redacted, 1 bytes>");
    EXPECT_EQ(details[0].headers[1].second, "t");
    EXPECT_EQ(details[0].response_headers[0].second, "<redacted, 6 bytes>");
    EXPECT_EQ(details[0].response_headers[1].second, "text/plain");
}
