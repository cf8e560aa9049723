// engine/multipart.hpp: the multipart/form-data reader and header-value parser. The Python-level
// behaviour (messages, limits, charsets) is in tests/python/test_multipart_native.py and
// test_forms_uploads.py; these pin the native rules themselves.
#include "engine/multipart.hpp"
#include "engine/multipart_stream.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

using namespace cello::engine::multipart;
using namespace std::string_literals;

namespace {

struct Read {
    std::vector<std::string> names, data;
    Error error = Error::None;
};

Read read(std::string_view body, std::size_t max_parts = 1000) {
    Reader reader(body, "b", max_parts);
    Read r;
    Part part;
    while (true) {
        const auto next = reader.next(part);
        if (next == Reader::Next::End) return r;
        if (next == Reader::Next::Error) {
            r.error = reader.error();
            return r;
        }
        r.names.emplace_back(part.name);
        r.data.emplace_back(part.data);
    }
}

std::string part(std::string_view headers, std::string_view data) {
    return "--b\r\n"s.append(headers) + "\r\n\r\n" + std::string(data) + "\r\n";
}

// The same body read as it arrives, `piece` bytes at a time.
Read read_streamed(std::string_view body, std::size_t piece, std::size_t max_parts = 1000) {
    struct Sink final : StreamReader::Sink {
        Read r;
        void begin(const Part& part) override {
            r.names.emplace_back(part.name);
            r.data.emplace_back();
        }
        void data(std::string_view bytes) override { r.data.back() += bytes; }
        void end() override {}
    } sink;
    StreamReader reader("b", max_parts);
    bool ok = true;
    for (std::size_t at = 0; ok && at < body.size(); at += piece) ok = reader.feed(body.substr(at, piece), sink);
    if (ok) ok = reader.finish();
    if (!ok) {
        sink.r.error = reader.error();
        if (sink.r.names.size() > sink.r.data.size()) sink.r.names.pop_back();
    }
    return sink.r;
}

}  // namespace

TEST(Multipart, ReadsPartsInOrderAndIgnoresPreambleAndEpilogue) {
    const auto body = "preamble\r\n" + part("Content-Disposition: form-data; name=a", "1") +
                      part("Content-Disposition: form-data; name=\"b\"; filename=\"f.txt\"", "x\r\ny") +
                      "--b--\r\nepilogue";
    const Read r = read(body);
    EXPECT_EQ(r.error, Error::None);
    EXPECT_EQ(r.names, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(r.data, (std::vector<std::string>{"1", "x\r\ny"}));
}

TEST(Multipart, ReportsEachStructuralError) {
    EXPECT_EQ(read("no delimiter").error, Error::NoBoundary);
    EXPECT_EQ(read("--bjunk\r\n").error, Error::BadBoundaryLine);
    EXPECT_EQ(read("--b\r\nContent-Disposition: form-data; name=a\r\n").error, Error::HeadersUnterminated);
    EXPECT_EQ(read("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nno end").error, Error::NoClosingBoundary);
    EXPECT_EQ(read(part("no colon", "") + "--b--").error, Error::BadHeaderLine);
    EXPECT_EQ(read(part("Content-Disposition: attachment; name=a", "") + "--b--").error, Error::NotFormData);
    EXPECT_EQ(read(part("Content-Disposition: form-data", "") + "--b--").error, Error::NotFormData);
    const auto three = part("Content-Disposition: form-data; name=a", "") + part("Content-Disposition: form-data; name=b", "") +
                       part("Content-Disposition: form-data; name=c", "") + "--b--";
    EXPECT_EQ(read(three, 2).error, Error::TooManyParts);
    EXPECT_EQ(read(three, 3).names.size(), 3u);
}

TEST(Multipart, HeaderBlockIsBoundedTo16KiB) {
    const std::string fits(kMaxPartHeaderBytes - 60, 'h'), over(kMaxPartHeaderBytes, 'h');
    EXPECT_EQ(read(part("Content-Disposition: form-data; name=a\r\nX: " + fits, "v") + "--b--").error, Error::None);
    EXPECT_EQ(read(part("Content-Disposition: form-data; name=a\r\nX: " + over, "v") + "--b--").error,
              Error::HeadersUnterminated);
}

TEST(Multipart, FoldedRepeatedAndQuotedHeaders) {
    const std::string body =
        part("content-disposition: form-data; name=old\r\nCONTENT-DISPOSITION: Form-Data;\r\n"
             " name=\"a\\\"b\\\\c\"; filename=\"C:\\dir\\f.txt\"\r\nContent-Type: Text/Plain;\r\n\tcharset=latin-1",
             "v") + "--b--";
    Reader reader(body, "b", 10);  // the reader keeps views of the body
    Part p;
    ASSERT_EQ(reader.next(p), Reader::Next::Part);
    EXPECT_EQ(p.name, "a\"b\\c");            // \" and \\ unescaped
    EXPECT_EQ(p.filename, "C:\\dir\\f.txt");  // other backslashes kept
    EXPECT_EQ(p.content_type, "Text/Plain");  // as sent: the Python layer lower-cases
    EXPECT_EQ(p.charset, "latin-1");          // from the folded line
    EXPECT_FALSE(p.filename_ext.has_value());
    ASSERT_EQ(p.headers.size(), 5u);
    EXPECT_TRUE(p.headers[2].continuation);
}

TEST(Multipart, HeaderValueParametersFollowThePythonRules) {
    const auto h = parse_header_value("form-data ; a=1;bad; =x; b = \"q;uo\\\"te\" junk; c=\"open; D=2", Encoding::Utf8);
    EXPECT_EQ(h.main, "form-data");
    ASSERT_EQ(h.params.size(), 4u);  // a, b, c, d
    EXPECT_EQ(h.params[1].name, "b");
    EXPECT_EQ(h.params[1].value, "\"q;uo\\\"te\"");  // the quoted string ends the match; " junk" is skipped
    EXPECT_EQ(unquote(h.params[1].value), "q;uo\"te");
    EXPECT_EQ(h.params[2].value, "\"open");         // an unclosed quote is read as unquoted
    EXPECT_EQ(h.param("d"), "2");  // names compare case-insensitively
    EXPECT_FALSE(h.param("bad").has_value());
}

TEST(Multipart, WhitespaceIsPythonsInTheBlocksEncoding) {
    // U+00A0 is whitespace: as UTF-8 C2 A0 in a UTF-8 block, as the byte A0 in a Latin-1 one.
    EXPECT_EQ(strip("\xC2\xA0x\xE2\x80\x83", Encoding::Utf8), "x");
    EXPECT_EQ(strip("\xA0x\x85", Encoding::Latin1), "x");
    EXPECT_EQ(strip("\xC2\xA0x", Encoding::Latin1), "\xC2\xA0x");  // C2 is not whitespace in Latin-1
    EXPECT_TRUE(is_space(0x3000));
    EXPECT_FALSE(is_space(0x200B));  // zero width space is not whitespace in Python
}

TEST(MultipartStream, GivesWhatTheWholeReaderGivesWhereverTheBodyIsCut) {
    const std::string good = "preamble\r\n" + part("Content-Disposition: form-data; name=a", "1") +
                             part("Content-Disposition: form-data; name=\"b\"; filename=\"f\"", "x\r\n--c\r\n-\r\n-") +
                             part("Content-Disposition: form-data; name=c", "") + "--b--\r\nepilogue";
    const std::vector<std::string> bodies = {
        good,
        "no delimiter",
        "--bjunk\r\n",
        "--b \t \t\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=a\r\n",
        "--b\r\nContent-Disposition: form-data; name=a\r\n\r\nno end",
        part("no colon", "") + "--b--",
        part("Content-Disposition: attachment; name=a", "") + "--b--",
        "--b--",
        "--b-",
        "\r\n--b\r\n\r\n\r\nv\r\n--b--",
        part("Content-Disposition: form-data; name=a\r\nX: " + std::string(kMaxPartHeaderBytes, 'h'), "v") + "--b--",
    };
    for (const auto& body : bodies) {
        const Read whole = read(body);
        for (const std::size_t piece : {1u, 2u, 3u, 7u, 64u, 100000u}) {
            const Read streamed = read_streamed(body, piece);
            EXPECT_EQ(streamed.error, whole.error) << body << " in pieces of " << piece;
            if (whole.error == Error::None) {
                EXPECT_EQ(streamed.names, whole.names) << body;
                EXPECT_EQ(streamed.data, whole.data) << body;
            }
        }
    }
    EXPECT_EQ(read_streamed(good, 5, 2).error, Error::TooManyParts);
}

TEST(MultipartStream, KeepsLittleWhileALargePartArrives) {
    // A part's data goes out as it comes: what the reader holds stays near a delimiter's length.
    struct Count final : StreamReader::Sink {
        std::size_t bytes = 0, calls = 0;
        void begin(const Part&) override {}
        void data(std::string_view b) override { bytes += b.size(), ++calls; }
        void end() override {}
    } sink;
    StreamReader reader("b", 10);
    ASSERT_TRUE(reader.feed("--b\r\nContent-Disposition: form-data; name=f; filename=x\r\n\r\n", sink));
    const std::string piece(64 * 1024, 'z');
    for (int i = 0; i < 64; ++i) {
        ASSERT_TRUE(reader.feed(piece, sink));
        EXPECT_GE(sink.bytes + 8, (i + 1) * piece.size());  // all but a possible delimiter's start
    }
    ASSERT_TRUE(reader.feed("\r\n--b--\r\n", sink));
    ASSERT_TRUE(reader.finish());
    EXPECT_EQ(sink.bytes, 64 * piece.size());
}
