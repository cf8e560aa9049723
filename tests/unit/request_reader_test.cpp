// RequestReader without a socket: every framing rule, with the input cut at every byte, so a
// rule cannot depend on how the bytes happened to arrive.
#include "engine/net/request_reader.hpp"
#include "engine/response_rules.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using cello::engine::net::RequestLimits;
using cello::engine::net::RequestReader;
using State = RequestReader::State;

struct Parsed {
    std::string method, target, body;
    unsigned version = 0;
    std::size_t headers = 0;
};

struct Outcome {
    std::vector<Parsed> requests;
    int error = 0;  // status of the refusal, 0: none
    std::string detail;
    std::size_t left = 0;  // bytes not consumed at the end
};

// Feeds `input` in pieces of `step` bytes (0: all at once), like reads from a socket would.
Outcome feed(std::string input, std::size_t step = 0, RequestLimits limits = {2048, 1024}) {
    Outcome out;
    RequestReader reader;
    std::string buffer;  // what has arrived and is not consumed yet
    std::size_t sent = 0;
    while (true) {
        const std::size_t n = step ? std::min(step, input.size() - sent) : input.size() - sent;
        buffer.append(input, sent, n);
        sent += n;
        while (!buffer.empty()) {
            if (!reader.active()) reader.start(limits);
            std::size_t used = 0;
            const State st = reader.put(buffer.data(), buffer.size(), used);
            buffer.erase(0, used);
            if (st == State::Failed) {
                out.error = reader.error_status();
                out.detail = reader.error_detail();
                out.left = buffer.size() + input.size() - sent;
                return out;
            }
            if (st == State::NeedMore) break;
            out.requests.push_back({std::string(reader.method()), std::string(reader.target()),
                                    std::string(reader.body()), reader.version(), reader.header_count()});
            reader.reset();
        }
        if (sent == input.size()) break;
    }
    out.left = buffer.size();
    return out;
}

// The same outcome whatever the pieces: all at once, byte by byte, and a few sizes between.
Outcome feed_every_way(const std::string& input) {
    const Outcome whole = feed(input);
    for (std::size_t step : {1u, 2u, 3u, 7u, 64u}) {
        const Outcome part = feed(input, step);
        EXPECT_EQ(part.error, whole.error) << "step " << step;
        EXPECT_EQ(part.requests.size(), whole.requests.size()) << "step " << step;
        for (std::size_t i = 0; i < std::min(part.requests.size(), whole.requests.size()); ++i)
            EXPECT_EQ(part.requests[i].body, whole.requests[i].body) << "step " << step;
    }
    return whole;
}

const std::string kSmuggled = "GET /SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(RequestReader, ReadsPipelinedRequestsWithBodies) {
    const auto out = feed_every_way(
        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nT: 1\r\n\r\n"
        "GET /c HTTP/1.0\r\n\r\n");
    ASSERT_EQ(out.error, 0) << out.detail;
    ASSERT_EQ(out.requests.size(), 3u);
    EXPECT_EQ(out.requests[0].body, "hello");
    EXPECT_EQ(out.requests[1].body, "abcde");
    EXPECT_EQ(out.requests[2].target, "/c");
    EXPECT_EQ(out.requests[2].version, 10u);
    EXPECT_EQ(out.left, 0u);
}

TEST(RequestReader, RefusesEveryTransferCodingButAFinalSingleChunked) {
    for (std::string te : {"chunked, identity", "chunked, chunked", "identity", "xchunked", "gzip, chunked",
                           "chunked;x=1", "gzip", "chunked\r\nTransfer-Encoding: chunked",
                           "gzip\r\nTransfer-Encoding: chunked", "chunked\r\nContent-Length: 3",
                           "identity\r\nContent-Length: 5"}) {
        const auto out = feed_every_way("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te + "\r\n\r\n0\r\n\r\n" +
                                        kSmuggled);
        EXPECT_TRUE(out.error == 400 || out.error == 501) << te << ": " << out.error;
        EXPECT_TRUE(out.requests.empty()) << te;
    }
    EXPECT_EQ(feed("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").error, 501);
    EXPECT_EQ(feed("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").error, 400);
    const auto ok = feed_every_way("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked, \r\n\r\n1\r\nz\r\n0\r\n\r\n");
    ASSERT_EQ(ok.error, 0) << ok.detail;
    EXPECT_EQ(ok.requests.at(0).body, "z");
}

TEST(RequestReader, BoundsChunkLinesAndTrailers) {
    const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::string trailer;
    while (trailer.size() < 100'000) trailer += "X-Trailer: " + std::string(50, 'v') + "\r\n";
    for (std::size_t step : {0u, 1000u}) {
        const auto out = feed(head + "1\r\na\r\n0\r\n" + trailer, step);
        EXPECT_EQ(out.error, 431) << "step " << step;
        EXPECT_GT(out.left, 100'000u - 2048u - 2048u) << "refused soon after the limit";
    }
    EXPECT_EQ(feed(head + "1;" + std::string(5000, 'e')).error, 431);
    EXPECT_EQ(feed(head + std::string(5000, '0')).error, 431);
}

TEST(RequestReader, RefusesBareLineFeedsAtOnce) {
    const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (std::string bad : {head + "5\nhello\n0\n\n", head + "5\r\nhello\r\n0\n", head + "0\r\nT: 1\n",
                            std::string("GET / HTTP/1.1\nHost: x\n\n"), std::string("GET / HTTP/1.1\r\nHost: x\n")}) {
        const auto out = feed_every_way(bad);  // incomplete input: refused without waiting for more
        EXPECT_EQ(out.error, 400) << bad;
    }
}

TEST(RequestReader, NeedsOneValidHost) {
    EXPECT_EQ(feed("GET / HTTP/1.1\r\n\r\n").error, 400);
    EXPECT_EQ(feed("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n").error, 400);
    EXPECT_EQ(feed("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n").error, 400);
    EXPECT_EQ(feed("GET / HTTP/1.1\r\nHost: a b\r\n\r\n").error, 400);
    EXPECT_EQ(feed("GET / HTTP/1.0\r\n\r\n").error, 0);
    EXPECT_EQ(feed("GET / HTTP/1.1\r\nHost:\r\n\r\n").error, 0);
    using cello::engine::net::valid_host_field;
    for (const char* ok : {"", "a", "a.example:80", "127.0.0.1", "[::1]", "[::1]:443", "[v7.x:y]", "a%41", "x:"})
        EXPECT_TRUE(valid_host_field(ok)) << ok;
    for (const char* bad : {"a b", "a/b", "a@b", "[::1", "[]", "[::1]x", "[::1]:x", "x:y", "x:1:2", "%4", "%zz", "\x7f",
                            "a\tb", "é"})
        EXPECT_FALSE(valid_host_field(bad)) << bad;
}

TEST(RequestReader, ReadsHttp1MinorVersionsAsOneOne) {
    const auto out = feed_every_way("GET / HTTP/1.2\r\nHost: x\r\n\r\nGET / HTTP/1.9\r\nHost: x\r\n\r\n");
    ASSERT_EQ(out.requests.size(), 2u);
    EXPECT_EQ(out.requests[0].version, 11u);
    EXPECT_EQ(out.requests[1].version, 11u);
    EXPECT_EQ(feed("GET / HTTP/2.0\r\nHost: x\r\n\r\n").error, 400);
}

// Findings of fuzz_request (tests/fuzz/known/), fixed.
TEST(RequestReader, TrailerFieldsLeaveTheHeaderViewsIntact) {
    RequestReader reader;
    std::string in = "POST /t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX-Keep: value\r\n\r\n0\r\n";
    for (int i = 0; i < 40; ++i) in += "X-Trailer-" + std::to_string(i) + ": " + std::string(40, 'a') + "\r\n";
    in += "\r\n";
    reader.start({8192, 1024});
    std::size_t used = 0;
    ASSERT_EQ(reader.put(in.data(), in.size(), used), State::Done);
    ASSERT_EQ(reader.header_count(), 3u);  // the trailers are not among them
    EXPECT_EQ(reader.headers()[2].name, "X-Keep");
    EXPECT_EQ(reader.headers()[2].value, "value");
}

TEST(RequestReader, HeaderLimitHoldsForLineAndFieldsTogether) {
    const std::string in = "GET /" + std::string(1500, 'a') + " HTTP/1.1\r\nHost: h\r\nX: " + std::string(1500, 'b') +
                           "\r\n\r\n";
    EXPECT_EQ(feed(in).error, 431);  // one read
    EXPECT_EQ(feed(in, 100).error, 431);
    EXPECT_EQ(feed(in, 0, {4096, 1024}).error, 0);
    // The request line alone in the first read (Beast takes it then), the fields after.
    const std::string line = "GET /" + std::string(1500, 'a') + " HTTP/1.1\r\n";
    RequestReader reader;
    reader.start({2048, 1024});
    std::string buffer = line;
    std::size_t used = 0;
    ASSERT_EQ(reader.put(buffer.data(), buffer.size(), used), State::NeedMore);
    buffer.erase(0, used);
    buffer += "Host: h\r\nX: " + std::string(1000, 'b') + "\r\n\r\n";
    EXPECT_EQ(reader.put(buffer.data(), buffer.size(), used), State::Failed);
    EXPECT_EQ(reader.error_status(), 431);
}

TEST(RequestReader, MinorVersionSplitInsideTheRequestLine) {
    for (std::string first : {"GET / HTTP/1.2", "GET / HTTP/1.2\r"}) {
        RequestReader reader;
        reader.start({});
        std::string buffer = first;
        std::size_t used = 0;
        ASSERT_EQ(reader.put(buffer.data(), buffer.size(), used), State::NeedMore) << reader.error_detail();
        buffer.erase(0, used);
        buffer += std::string(first.back() == '\r' ? "" : "\r") + "\nHost: h\r\n\r\n";
        ASSERT_EQ(reader.put(buffer.data(), buffer.size(), used), State::Done) << reader.error_detail();
        EXPECT_EQ(reader.version(), 11u);
    }
}

TEST(RequestReader, SkipsEmptyLinesBeforeARequest) {
    const auto out = feed_every_way("\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(out.requests.size(), 2u);
    EXPECT_EQ(out.requests[1].target, "/b");
}

TEST(RequestReader, ExpectContinueOnlyForHttp11) {
    RequestReader reader;
    std::size_t used = 0;
    std::string r11 = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
    reader.start({});
    EXPECT_EQ(reader.put(r11.data(), r11.size(), used), State::NeedMore);
    EXPECT_TRUE(reader.header_done() && reader.expect_continue());
    std::string r10 = "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
    reader.start({});
    EXPECT_EQ(reader.put(r10.data(), r10.size(), used), State::NeedMore);
    EXPECT_TRUE(reader.header_done());
    EXPECT_FALSE(reader.expect_continue());
}

TEST(RequestReader, LimitsGiveTheirStatuses) {
    EXPECT_EQ(feed("GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(4096, 'a') + "\r\n\r\n").error, 431);
    EXPECT_EQ(feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n").error, 413);
    EXPECT_EQ(feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n").error, 400);
}

TEST(ResponseRules, RefuseWhatWouldBreakFraming) {
    using namespace cello::engine;
    Response res;
    res.headers = {{"X-Fine", "tab\tand caf\xc3\xa9"}};
    EXPECT_EQ(handler_response_problem(res), "");
    for (const char* name : {"Content-Length", "transfer-encoding", "Connection", "Upgrade", "Trailer", "Keep-Alive"}) {
        res.headers = {{name, "1"}};
        EXPECT_NE(handler_response_problem(res).find(name), std::string::npos) << name;
    }
    for (std::string value : {std::string("a\rb"), std::string("a\nb"), std::string("a\0b", 3), std::string("\x7f")}) {
        res.headers = {{"X", value}};
        EXPECT_NE(handler_response_problem(res), "");
    }
    for (const char* name : {"", "a b", "a:b", "(x)", "\xc3\xa9"}) {
        res.headers = {{name, "v"}};
        EXPECT_NE(handler_response_problem(res), "") << name;
    }
    res.headers.clear();
    for (int status : {100, 101, 103, 199, 600, 999, -1}) {
        res.status = status;
        EXPECT_NE(handler_response_problem(res), "") << status;
    }
    res.status = 200;
    res.content_type = "text/plain\r\nX: 1";
    EXPECT_NE(handler_response_problem(res), "");
}

}  // namespace
