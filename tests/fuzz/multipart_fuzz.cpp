// Fuzzes engine/multipart.hpp: the multipart/form-data reader and the header-value parser.
//
// Input: byte 0 picks the part limit (bits 4-6; 7 means 1000) and, with 0x80, a boundary of
// (bits 0-3) + 1 bytes taken from the input; otherwise the boundary is "xYz". The rest is the body.
//
// Checked: a part's data and header lines are views inside the body, in order, never overlapping
// the next part; the data never contains the delimiter; a header block is at most
// kMaxPartHeaderBytes; stripped values have no blank at either end; no more parts than the limit;
// an error is final and End stays End; and a body that parses completely, written out again with
// a fresh boundary and every parameter quoted (other headers dropped), parses to the same names, file names, content
// types, charsets and data. parse_header_value on the raw input: parameter names are non-empty and
// contain no '=', ';' or blank, every view lies inside the value. The same body read as it arrives
// (StreamReader, cut into pieces of 1 to 64 bytes chosen by the input) gives the same parts, or
// the same error.
#include "engine/multipart.hpp"
#include "engine/multipart_stream.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace cello::engine::multipart;

namespace {

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "multipart_fuzz: check failed at line %d: %s\n", __LINE__, #cond); \
            std::abort();                                                                 \
        }                                                                                 \
    } while (0)

bool inside(std::string_view part, std::string_view whole) {
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

bool unblank_ends(std::string_view s) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    return s.empty() || (!blank(s.front()) && !blank(s.back()));
}

// What the round trip compares: a part's values, copied out of the reader.
struct Copy {
    std::string name, content_type, data;
    std::optional<std::string> filename, filename_ext, charset;
    Encoding encoding;
    bool operator==(const Copy&) const = default;
};

std::optional<std::string> copy(const std::optional<std::string_view>& s) {
    return s ? std::optional<std::string>(std::string(*s)) : std::nullopt;
}

std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// Reads every part with all the per-part checks; nullopt unless the body parses to its end.
std::optional<std::vector<Copy>> read_all(std::string_view body, std::string_view boundary, std::size_t max_parts) {
    Reader reader(body, boundary, max_parts);
    const std::string delimiter = "\r\n--" + std::string(boundary);
    std::vector<Copy> out;
    const char* previous_end = body.data();
    Part part;
    while (true) {
        const Reader::Next next = reader.next(part);
        if (next == Reader::Next::Error) {
            CHECK(reader.error() != Error::None);
            CHECK(!reader.message().empty());
            if (reader.error() == Error::BadHeaderLine) CHECK(inside(reader.bad_line(), body));
            Part again;
            CHECK(reader.next(again) == Reader::Next::Error);  // an error is final
            return std::nullopt;
        }
        if (next == Reader::Next::End) {
            Part again;
            CHECK(reader.next(again) == Reader::Next::End);
            CHECK(reader.parts() == out.size());
            return out;
        }
        CHECK(out.size() < max_parts);
        CHECK(inside(part.data, body));
        CHECK(part.data.data() >= previous_end);
        CHECK(std::string_view(part.data).find(delimiter) == std::string_view::npos);
        CHECK(body.substr(part.data.data() + part.data.size() - body.data()).starts_with(delimiter));
        for (const auto& h : part.headers) {
            CHECK(h.continuation || inside(h.name, body));
            CHECK(inside(h.value, body));
            CHECK(h.value.data() + h.value.size() <= part.data.data());
            CHECK(h.value.data() >= previous_end);
            CHECK(part.data.data() - h.value.data() <= static_cast<std::ptrdiff_t>(kMaxPartHeaderBytes + 4));
            CHECK(h.continuation == h.name.empty());
            CHECK(unblank_ends(h.name) && unblank_ends(h.value));
        }
        previous_end = part.data.data() + part.data.size();
        out.push_back(Copy{std::string(part.name), std::string(part.content_type), std::string(part.data),
                           copy(part.filename), copy(part.filename_ext), copy(part.charset), part.encoding});
    }
}

std::string write_all(const std::vector<Copy>& parts, const std::string& boundary) {
    std::string body;
    for (const auto& p : parts) {
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=" + quoted(p.name);
        if (p.filename) body += "; filename=" + quoted(*p.filename);
        if (p.filename_ext) body += "; filename*=" + quoted(*p.filename_ext);
        body += "\r\nContent-Type: " + p.content_type;
        if (p.charset) body += "; charset=" + quoted(*p.charset);
        // A header block is read as Latin-1 when it is not valid UTF-8 (which decides what counts
        // as whitespace): keep it so, whichever dropped header made it so.
        if (p.encoding == Encoding::Latin1) body += "\r\nX-Latin-1: \xff";
        body += "\r\n\r\n" + p.data + "\r\n";
    }
    return body + "--" + boundary + "--\r\n";
}

void check_header_value(std::string_view value) {
    for (const Encoding enc : {Encoding::Utf8, Encoding::Latin1}) {
        const HeaderValue h = parse_header_value(value, enc);
        CHECK(inside(h.main, value));
        for (const auto& p : h.params) {
            CHECK(inside(p.name, value) && inside(p.value, value));
            CHECK(!p.name.empty());
            CHECK(p.name.find_first_of("=; \t\r\n") == std::string_view::npos);
            const std::string u = unquote(p.value);
            CHECK(u.size() <= p.value.size());
            CHECK(is_quoted(p.value) || u == p.value);
        }
        CHECK(strip(value, enc).size() <= value.size());
    }
}

// What the reader of whole bodies gives: the parts, or the error.
struct Outcome {
    std::vector<Copy> parts;
    Error error = Error::None;
    bool operator==(const Outcome&) const = default;
};

Outcome read_whole(std::string_view body, std::string_view boundary, std::size_t max_parts) {
    Reader reader(body, boundary, max_parts);
    Outcome out;
    Part part;
    while (true) {
        const Reader::Next next = reader.next(part);
        if (next == Reader::Next::End) return out;
        if (next == Reader::Next::Error) {
            out.error = reader.error();
            return out;
        }
        out.parts.push_back(Copy{std::string(part.name), std::string(part.content_type), std::string(part.data),
                                 copy(part.filename), copy(part.filename_ext), copy(part.charset), part.encoding});
    }
}

Outcome read_streamed(std::string_view body, std::string_view boundary, std::size_t max_parts, std::uint8_t seed) {
    struct Collect final : StreamReader::Sink {
        Outcome out;
        bool open = false;
        void begin(const Part& part) override {
            CHECK(!open);
            open = true;
            out.parts.push_back(Copy{std::string(part.name), std::string(part.content_type), {}, copy(part.filename),
                                     copy(part.filename_ext), copy(part.charset), part.encoding});
        }
        void data(std::string_view bytes) override {
            CHECK(open && !bytes.empty());
            out.parts.back().data += bytes;
        }
        void end() override {
            CHECK(open);
            open = false;
        }
    } sink;
    StreamReader reader(boundary, max_parts);
    bool ok = true;
    std::size_t at = 0, step = seed;
    while (ok && at < body.size()) {
        step = step * 37 + 11;
        const std::size_t n = 1 + step % 64;
        ok = reader.feed(body.substr(at, n), sink);
        at += n;
    }
    if (ok) ok = reader.finish();
    if (!ok) {
        CHECK(reader.error() != Error::None);
        CHECK(!reader.feed("more", sink));  // an error is final
        sink.out.error = reader.error();
        // The whole reader stops at the part it cannot read: parts begun after it are not compared.
        if (sink.open) sink.out.parts.pop_back();
        return sink.out;
    }
    CHECK(reader.done() && !sink.open);
    return sink.out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    const unsigned limit_bits = (data[0] >> 4) & 7;
    const std::size_t max_parts = limit_bits == 7 ? 1000 : limit_bits;
    std::string_view boundary = "xYz";
    if (data[0] & 0x80) {
        const std::size_t n = (data[0] & 0x0F) + 1u;
        if (in.size() < n) return 0;
        boundary = in.substr(0, n);
        in.remove_prefix(n);
    }
    check_header_value(in.substr(0, 512));

    const Outcome whole = read_whole(in, boundary, max_parts);
    const Outcome streamed = read_streamed(in, boundary, max_parts, data[0]);
    CHECK(streamed.error == whole.error);
    if (whole.error == Error::None) CHECK(streamed.parts == whole.parts);

    const auto parts = read_all(in, boundary, max_parts);
    if (!parts) return 0;
    // Written out again with a boundary that occurs in no part, the parts read back the same.
    std::string fresh = "fuzzBoundary";
    for (int i = 0;; ++i) {
        fresh = "fuzzBoundary" + std::to_string(i);
        bool clash = false;
        for (const auto& p : *parts) clash = clash || p.data.find("\r\n--" + fresh) != std::string::npos;
        if (!clash) break;
    }
    const std::string again = write_all(*parts, fresh);
    const auto reread = read_all(again, fresh, 1000);
    CHECK(reread.has_value());
    CHECK(*reread == *parts);
    return 0;
}
