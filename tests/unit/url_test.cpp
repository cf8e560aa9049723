// Pure functions of the engine: percent-decoding, UTF-8, query strings, JSON string escaping,
// the common error body and the response serialiser.
#include "engine/json_escape.hpp"
#include "engine/response_writer.hpp"
#include "engine/status.hpp"
#include "engine/url.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace cello::engine;
using namespace std::string_literals;

namespace {

// The decoded text, or nullopt when percent_decode rejects the input.
std::optional<std::string> decode(std::string_view in, bool plus_as_space = false) {
    std::string out = "stale contents";
    if (!percent_decode(in, out, plus_as_space)) return std::nullopt;
    return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::optional<Pairs> query(std::string_view q) {
    Pairs out;
    if (!parse_query(q, out)) return std::nullopt;
    return out;
}

std::string json_string(std::string_view s) {
    std::string out = "prefix:";
    append_json_string(out, s);
    EXPECT_EQ(out.substr(0, 7), "prefix:") << "append_json_string must append, not replace";
    return out.substr(7);
}

WireOptions opts(bool head_only = false, bool keep_alive = true, unsigned version = 11) {
    return {head_only, keep_alive, version, "Sun, 06 Nov 1994 08:49:37 GMT"};
}

std::string wire(const Response& res, const WireOptions& options = opts()) {
    std::string out;
    append_response(out, res, options);
    return out;
}

Response text_response(int status, std::string body) {
    Response res;
    res.status = status;
    res.content_type = "text/plain";
    res.body = std::move(body);
    return res;
}

std::string head_of(const std::string& raw) { return raw.substr(0, raw.find("\r\n\r\n") + 4); }
std::string body_of(const std::string& raw) { return raw.substr(raw.find("\r\n\r\n") + 4); }
bool has_line(const std::string& raw, std::string_view line) {
    return head_of(raw).find("\r\n"s + std::string(line) + "\r\n") != std::string::npos;
}
bool has_header(const std::string& raw, std::string_view name) {
    return head_of(raw).find("\r\n"s + std::string(name) + ":") != std::string::npos;
}

}  // namespace

// ---- percent_decode -------------------------------------------------------------------------

TEST(PercentDecode, DecodesEscapesOfBothCases) {
    EXPECT_EQ(decode("/a%20b"), "/a b");
    EXPECT_EQ(decode("%41%4a%4A%7e"), "AJJ~");
    EXPECT_EQ(decode("%E2%82%AC"), "\xE2\x82\xAC");
    EXPECT_EQ(decode("%00"), "\0"s);
    EXPECT_EQ(decode("%25"), "%") << "an escaped percent is not decoded twice";
    EXPECT_EQ(decode("%2541"), "%41");
}

TEST(PercentDecode, ReplacesOutputAndAcceptsEmptyInput) {
    EXPECT_EQ(decode(""), "");
    EXPECT_EQ(decode("plain"), "plain");
}

TEST(PercentDecode, RejectsTruncatedEscapes) {
    EXPECT_EQ(decode("%"), std::nullopt);
    EXPECT_EQ(decode("%4"), std::nullopt);
    EXPECT_EQ(decode("abc%4"), std::nullopt);
    EXPECT_EQ(decode("abc%"), std::nullopt);
}

TEST(PercentDecode, RejectsNonHexEscapes) {
    EXPECT_EQ(decode("%zz"), std::nullopt);
    EXPECT_EQ(decode("%4g"), std::nullopt);
    EXPECT_EQ(decode("%g4"), std::nullopt);
    EXPECT_EQ(decode("a%-1b"), std::nullopt);
    EXPECT_EQ(decode("% 41"), std::nullopt);
}

TEST(PercentDecode, PlusIsSpaceOnlyWhenAsked) {
    EXPECT_EQ(decode("a+b"), "a+b");
    EXPECT_EQ(decode("a+b", true), "a b");
    EXPECT_EQ(decode("a%2Bb", true), "a+b") << "an encoded plus stays a plus";
}

// ---- valid_utf8 -----------------------------------------------------------------------------

TEST(Utf8, AcceptsWellFormedText) {
    EXPECT_TRUE(valid_utf8(""));
    EXPECT_TRUE(valid_utf8("ascii"));
    EXPECT_TRUE(valid_utf8("caf\xC3\xA9"));              // é
    EXPECT_TRUE(valid_utf8("\xE2\x82\xAC"));             // €
    EXPECT_TRUE(valid_utf8("\xF0\x9F\x98\x80"));         // U+1F600
    EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));         // U+10FFFF
}

TEST(Utf8, RejectsMalformedText) {
    EXPECT_FALSE(valid_utf8("\xFF"));
    EXPECT_FALSE(valid_utf8("\xC3"));                    // truncated
    EXPECT_FALSE(valid_utf8("\x80"));                    // lone continuation
    EXPECT_FALSE(valid_utf8("\xC0\xAF"));                // overlong '/'
    EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));            // UTF-16 surrogate
    EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));        // beyond U+10FFFF
    EXPECT_FALSE(valid_utf8("ok\xE2\x82"));              // truncated at the end
}

// ---- parse_query ----------------------------------------------------------------------------

TEST(ParseQuery, KeepsRepeatedKeysInOrder) {
    EXPECT_EQ(query("a=1&b=2&a=3"), (Pairs{{"a", "1"}, {"b", "2"}, {"a", "3"}}));
}

TEST(ParseQuery, EmptyValuesAndMissingEquals) {
    EXPECT_EQ(query("a=&b&c=3"), (Pairs{{"a", ""}, {"b", ""}, {"c", "3"}}));
    EXPECT_EQ(query("=v"), (Pairs{{"", "v"}}));
}

TEST(ParseQuery, EmptyPartsAreSkipped) {
    EXPECT_EQ(query(""), Pairs{});
    EXPECT_EQ(query("&"), Pairs{});
    EXPECT_EQ(query("a=1&&b=2&"), (Pairs{{"a", "1"}, {"b", "2"}}));
}

TEST(ParseQuery, DecodesPlusAndPercent) {
    EXPECT_EQ(query("q=hello+world&x=%26%3D&caf%C3%A9=%E2%82%AC"),
              (Pairs{{"q", "hello world"}, {"x", "&="}, {"caf\xC3\xA9", "\xE2\x82\xAC"}}));
    EXPECT_EQ(query("a=1=2"), (Pairs{{"a", "1=2"}})) << "only the first '=' splits";
}

TEST(ParseQuery, RejectsBadEncoding) {
    EXPECT_EQ(query("a=%zz"), std::nullopt);
    EXPECT_EQ(query("a=1&b=%4"), std::nullopt);
    EXPECT_EQ(query("%zz=1"), std::nullopt);
    EXPECT_EQ(query("a=%FF"), std::nullopt) << "decoded bytes must be UTF-8";
    EXPECT_EQ(query("%C3=1"), std::nullopt);
}

TEST(ParseQuery, KeepsPairsDecodedBeforeAnError) {
    Pairs out;
    EXPECT_FALSE(parse_query("a=1&b=%zz&c=3", out));
    EXPECT_EQ(out, (Pairs{{"a", "1"}}));
}

// ---- append_json_string ---------------------------------------------------------------------

TEST(JsonEscape, QuotesAndPlainText) {
    EXPECT_EQ(json_string(""), R"("")");
    EXPECT_EQ(json_string("hello"), R"("hello")");
}

TEST(JsonEscape, EscapesQuoteAndBackslash) {
    EXPECT_EQ(json_string(R"(say "hi")"), R"("say \"hi\"")");
    EXPECT_EQ(json_string(R"(C:\dir\)"), R"("C:\\dir\\")");
    EXPECT_EQ(json_string("/"), R"("/")") << "solidus needs no escape";
}

TEST(JsonEscape, ShortEscapesForCommonControls) {
    EXPECT_EQ(json_string("a\nb\tc\rd\be\ff"), R"("a\nb\tc\rd\be\ff")");
}

TEST(JsonEscape, OtherControlsAsUnicodeEscapes) {
    EXPECT_EQ(json_string("\x01"), R"("\u0001")");
    EXPECT_EQ(json_string("\x1f"), R"("\u001f")");
    EXPECT_EQ(json_string("a\0b"s), R"("a\u0000b")");
    EXPECT_EQ(json_string("\x0b"), R"("\u000b")");
    EXPECT_EQ(json_string("\x7f"), "\"\x7f\"") << "DEL is not a JSON control character";
}

TEST(JsonEscape, NonAsciiPassesThrough) {
    EXPECT_EQ(json_string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST(JsonEscape, MixedRunsKeepTheirOrder) {
    EXPECT_EQ(json_string("x\"y\\z\n\x02w"), R"("x\"y\\z\n\u0002w")");
}

// A byte-at-a-time reference for the escaper, whose fast path scans 8 bytes per step.
std::string reference_json_string(std::string_view s) {
    std::string out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    static constexpr char hex[] = "0123456789abcdef";
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 15];
                } else {
                    out += ch;
                }
        }
    }
    return out + "\"";
}

TEST(JsonEscape, EveryByteAtEveryPositionOfLongStrings) {
    // Long runs take the word-at-a-time path; one special byte anywhere must still be found,
    // whatever surrounds it (ASCII or bytes >= 0x80).
    for (const char filler : {'a', '\x80', '\xff', '\x7f', ' '}) {
        for (std::size_t len : {7u, 8u, 9u, 16u, 23u, 40u}) {
            for (std::size_t pos = 0; pos < len; ++pos) {
                for (int b = 0; b < 256; ++b) {
                    std::string s(len, filler);
                    s[pos] = static_cast<char>(b);
                    ASSERT_EQ(json_string(s), reference_json_string(s))
                        << "byte " << b << " at " << pos << " of " << len << " (filler " << int(filler) << ")";
                }
            }
        }
    }
}

TEST(JsonEscape, MaxSizeBoundsTheWorstCase) {
    const std::string all_controls(100, '\x01');
    EXPECT_EQ(json_string(all_controls).size(), json_string_max_size(all_controls.size()));
    std::string buf(json_string_max_size(3), '#');
    char* end = write_json_string(buf.data(), "a\"b");
    EXPECT_EQ(std::string(buf.data(), end), R"("a\"b")");
}

// ---- reason_phrase / make_error -------------------------------------------------------------

TEST(Status, ReasonPhrases) {
    EXPECT_EQ(reason_phrase(200), "OK");
    EXPECT_EQ(reason_phrase(404), "Not Found");
    EXPECT_EQ(reason_phrase(405), "Method Not Allowed");
    EXPECT_EQ(reason_phrase(413), "Content Too Large");
    EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
    EXPECT_EQ(reason_phrase(599), "Unknown");
}

TEST(Status, ForbidsBody) {
    EXPECT_TRUE(status_forbids_body(100));
    EXPECT_TRUE(status_forbids_body(204));
    EXPECT_TRUE(status_forbids_body(304));
    EXPECT_FALSE(status_forbids_body(200));
    EXPECT_FALSE(status_forbids_body(404));
}

TEST(MakeError, CommonShapeWithNullDetail) {
    Response res;
    res.body = "old body";
    make_error(res, 404);
    EXPECT_EQ(res.status, 404);
    EXPECT_EQ(res.content_type, "application/json");
    EXPECT_EQ(res.body, R"({"error":"Not Found","status":404,"detail":null})");
}

TEST(MakeError, DetailIsEscaped) {
    Response res;
    make_error(res, 400, "bad \"x\"\n");
    EXPECT_EQ(res.body, R"({"error":"Bad Request","status":400,"detail":"bad \"x\"\n"})");
}

TEST(MakeError, UnknownStatus) {
    Response res;
    make_error(res, 599, "d");
    EXPECT_EQ(res.body, R"({"error":"Unknown","status":599,"detail":"d"})");
}

// ---- append_response ------------------------------------------------------------------------

TEST(ResponseWriter, StatusLineHeadersAndBody) {
    Response res = text_response(200, "hello");
    res.headers.emplace_back("X-Custom", "1");
    const std::string raw = wire(res);
    EXPECT_EQ(raw.substr(0, raw.find("\r\n")), "HTTP/1.1 200 OK");
    EXPECT_TRUE(has_line(raw, "Content-Type: text/plain"));
    EXPECT_TRUE(has_line(raw, "Content-Length: 5"));
    EXPECT_TRUE(has_line(raw, "Date: Sun, 06 Nov 1994 08:49:37 GMT"));
    EXPECT_TRUE(has_line(raw, "X-Custom: 1"));
    EXPECT_FALSE(has_header(raw, "Connection")) << "HTTP/1.1 keep-alive is the default";
    EXPECT_EQ(body_of(raw), "hello");
}

TEST(ResponseWriter, AppendsToExistingOutput) {
    std::string out = "HTTP/1.1 100 Continue\r\n\r\n";
    append_response(out, text_response(200, "x"), opts());
    EXPECT_EQ(out.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", 0), 0u);
    EXPECT_EQ(out.back(), 'x');
}

TEST(ResponseWriter, EmptyBodyHasZeroLength) {
    const std::string raw = wire(text_response(200, ""));
    EXPECT_TRUE(has_line(raw, "Content-Length: 0"));
    EXPECT_EQ(body_of(raw), "");
}

TEST(ResponseWriter, HeadKeepsLengthButDropsBody) {
    const std::string raw = wire(text_response(200, "hello world"), opts(true));
    EXPECT_TRUE(has_line(raw, "Content-Length: 11"));
    EXPECT_EQ(body_of(raw), "");
    EXPECT_EQ(raw.substr(raw.size() - 4), "\r\n\r\n");
}

TEST(ResponseWriter, NoContentHasNoLengthTypeOrBody) {
    const std::string raw = wire(text_response(204, "must not be sent"));
    EXPECT_EQ(raw.substr(0, raw.find("\r\n")), "HTTP/1.1 204 No Content");
    EXPECT_FALSE(has_header(raw, "Content-Length"));
    EXPECT_FALSE(has_header(raw, "Content-Type"));
    EXPECT_EQ(body_of(raw), "");
}

TEST(ResponseWriter, NotModifiedHasNoBody) {
    const std::string raw = wire(text_response(304, "x"));
    EXPECT_FALSE(has_header(raw, "Content-Length"));
    EXPECT_EQ(body_of(raw), "");
}

TEST(ResponseWriter, ConnectionClose) {
    const std::string raw = wire(text_response(200, "x"), opts(false, false));
    EXPECT_TRUE(has_line(raw, "Connection: close"));
    const std::string raw10 = wire(text_response(200, "x"), opts(false, false, 10));
    EXPECT_TRUE(has_line(raw10, "Connection: close"));
    EXPECT_FALSE(has_line(raw10, "Connection: keep-alive"));
}

TEST(ResponseWriter, Http10KeepAliveIsExplicit) {
    const std::string raw = wire(text_response(200, "x"), opts(false, true, 10));
    EXPECT_EQ(raw.substr(0, raw.find("\r\n")), "HTTP/1.0 200 OK");
    EXPECT_TRUE(has_line(raw, "Connection: keep-alive"));
    EXPECT_FALSE(has_line(raw, "Connection: close"));
}

class NoPieces final : public BodySource {
public:
    bool next(std::string&) override { return false; }
};

Response streamed_response(int status) {
    Response res = text_response(status, "ignored when streaming");
    res.stream = std::make_unique<NoPieces>();
    return res;
}

TEST(ResponseWriter, StreamedResponseIsChunkedWithoutBody) {
    const std::string raw = wire(streamed_response(200));
    EXPECT_TRUE(has_line(raw, "Transfer-Encoding: chunked"));
    EXPECT_FALSE(has_header(raw, "Content-Length"));
    EXPECT_EQ(body_of(raw), "");
}

TEST(ResponseWriter, StreamedResponseOverHttp10HasNoFraming) {
    const std::string raw = wire(streamed_response(200), opts(false, false, 10));
    EXPECT_FALSE(has_header(raw, "Transfer-Encoding"));
    EXPECT_FALSE(has_header(raw, "Content-Length"));
    EXPECT_TRUE(has_line(raw, "Connection: close"));
}

TEST(ResponseWriter, StreamedNoContentStaysBare) {
    const std::string raw = wire(streamed_response(204));
    EXPECT_FALSE(has_header(raw, "Transfer-Encoding"));
    EXPECT_FALSE(has_header(raw, "Content-Length"));
}

TEST(ResponseWriter, ChunkFraming) {
    std::string out;
    append_chunk(out, "hello");
    append_chunk(out, "");
    append_chunk(out, std::string(255, 'x'));
    out += kLastChunk;
    EXPECT_EQ(out, "5\r\nhello\r\nff\r\n" + std::string(255, 'x') + "\r\n0\r\n\r\n");
}

TEST(ResponseWriter, ErrorResponseRoundTrip) {
    Response res;
    make_error(res, 405);
    res.headers.emplace_back("Allow", "GET, HEAD, OPTIONS");
    const std::string raw = wire(res);
    EXPECT_EQ(raw.substr(0, raw.find("\r\n")), "HTTP/1.1 405 Method Not Allowed");
    EXPECT_TRUE(has_line(raw, "Content-Type: application/json"));
    EXPECT_TRUE(has_line(raw, "Allow: GET, HEAD, OPTIONS"));
    EXPECT_TRUE(has_line(raw, "Content-Length: " + std::to_string(res.body.size())));
    EXPECT_EQ(body_of(raw), res.body);
}
