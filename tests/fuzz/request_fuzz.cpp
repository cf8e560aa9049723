// Fuzzes engine/net/request_reader.hpp the way the connection drives it: bytes arrive in pieces,
// each put() gets everything not yet used, a Done request is followed by the next pipelined one,
// a Failed one ends the stream.
//
// Input: byte 0 picks the limits (header bytes: 64/256/1024/16384, body bytes: 0/16/1024/1 MiB),
// bytes 1-4 the sizes of the pieces the rest arrives in (cycled, 1-256 bytes each).
//
// Checked for every request: used <= the bytes given; the body is at most max_body_bytes, and
// as long as Content-Length says (when there is one and no Transfer-Encoding); method, target,
// field names and values fit in max_header_bytes; the version is 10 or 11; an HTTP/1.1 request
// has exactly one, valid, Host; names are tokens and values hold no CR, LF or NUL; a failure is
// 400, 413, 431 or 501 with a reason, and ends the stream (nothing more is fed). And the
// outcome does not depend on how the bytes were cut: the same requests and the same final state
// come out of the pieces as out of the whole input given at once (once the last header is ended:
// see the note where this is checked).
#include "engine/net/request_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace cello::engine;
using namespace cello::engine::net;

namespace {

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            std::fprintf(stderr, "request_fuzz: check failed at line %d: %s\n", __LINE__, #cond); \
            std::abort();                                                               \
        }                                                                               \
    } while (0)

struct Seen {
    std::string method, target, body;
    std::vector<std::pair<std::string, std::string>> headers;
    unsigned version;
    bool keep_alive;
    bool operator==(const Seen&) const = default;
};

struct Outcome {
    std::vector<Seen> requests;
    RequestReader::State last = RequestReader::State::NeedMore;
    int status = 0;
    bool operator==(const Outcome&) const = default;
};

bool is_tchar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

void check_request(const RequestReader& r, const RequestLimits& limits, Seen& out) {
    CHECK(r.header_done());
    CHECK(r.version() == 10 || r.version() == 11);
    CHECK(r.body().size() <= limits.max_body_bytes);
    std::size_t header_bytes = r.method().size() + r.target().size();
    CHECK(!r.method().empty() && !r.target().empty());
    unsigned hosts = 0;
    bool has_te = false;
    std::string_view content_length;
    for (std::size_t i = 0; i < r.header_count(); ++i) {
        const Header& h = r.headers()[i];
        header_bytes += h.name.size() + h.value.size();
        CHECK(!h.name.empty());
        for (const char c : h.name) CHECK(is_tchar(c));
        CHECK(h.value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos);
        if (iequals(h.name, "host")) {
            ++hosts;
            CHECK(valid_host_field(h.value));
        }
        if (iequals(h.name, "transfer-encoding")) has_te = true;
        if (iequals(h.name, "content-length")) content_length = h.value;
        out.headers.emplace_back(h.name, h.value);
    }
    // Names, values, method and target are fewer bytes than the header section they came in
    // (corpus/request/found_request_header_limit_twice.http was over it when whole: fixed).
    CHECK(header_bytes <= limits.max_header_bytes);
    CHECK(hosts <= 1);
    if (r.version() == 11) CHECK(hosts == 1);
    if (!content_length.empty() && !has_te) {
        std::uint64_t n = 0;
        const auto [end, ec] = std::from_chars(content_length.data(), content_length.data() + content_length.size(), n);
        if (ec == std::errc() && end == content_length.data() + content_length.size()) CHECK(r.body().size() == n);
    }
    out.method = r.method();
    out.target = r.target();
    out.body = r.body();
    out.version = r.version();
    out.keep_alive = r.keep_alive();
}

// Feeds `input` in pieces of the given sizes (cycled; empty: all at once), like the connection.
Outcome drive(std::string_view input, const std::vector<std::size_t>& pieces, const RequestLimits& limits) {
    Outcome o;
    RequestReader reader;
    std::string buffer;  // received and not yet used
    std::size_t fed = 0, piece = 0;
    while (true) {
        if (fed < input.size()) {
            const std::size_t n = pieces.empty() ? input.size() : pieces[piece++ % pieces.size()];
            const std::string_view more = input.substr(fed, n);
            buffer.append(more);
            fed += more.size();
        }
        // Everything complete in the buffer, as the connection's process() does.
        while (!buffer.empty()) {
            if (!reader.active()) reader.start(limits);
            std::size_t used = 0;
            const auto state = reader.put(buffer.data(), buffer.size(), used);
            CHECK(used <= buffer.size());
            o.last = state;
            if (state == RequestReader::State::Failed) {
                o.status = reader.error_status();
                CHECK(o.status == 400 || o.status == 413 || o.status == 431 || o.status == 501);
                CHECK(!reader.error_detail().empty());
                // The stream ends here: the connection answers and closes. (A further put() is not
                // refused: it answers NeedMore; the connection never makes one.)
                return o;
            }
            buffer.erase(0, used);
            if (state == RequestReader::State::NeedMore) break;
            Seen seen;
            check_request(reader, limits, seen);
            o.requests.push_back(std::move(seen));
            reader.reset();
            if (o.requests.size() >= 64) return o;
        }
        if (fed == input.size()) return o;
    }
}

void print(const char* label, const Outcome& o) {
    std::fprintf(stderr, "%s: %zu request(s), last state %d, status %d\n", label, o.requests.size(),
                 static_cast<int>(o.last), o.status);
    for (const auto& r : o.requests)
        std::fprintf(stderr, "  %s %s HTTP/1.%u, %zu header(s), body %zu bytes, keep-alive %d\n", r.method.c_str(),
                     r.target.c_str(), r.version % 10, r.headers.size(), r.body.size(), r.keep_alive);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 5) return 0;
    static constexpr std::size_t kHeader[] = {64, 256, 1024, 16 * 1024};
    static constexpr std::uint64_t kBody[] = {0, 16, 1024, 1024 * 1024};
    RequestLimits limits;
    limits.max_header_bytes = kHeader[data[0] & 3];
    limits.max_body_bytes = kBody[(data[0] >> 2) & 3];
    std::vector<std::size_t> pieces;
    for (int i = 1; i <= 4; ++i) pieces.push_back(std::size_t{data[i]} + 1);
    const std::string_view input(reinterpret_cast<const char*>(data) + 5, size - 5);

    Outcome cut = drive(input, pieces, limits);
    Outcome whole = drive(input, {}, limits);
    // Beast parses a header at once only on the first put() of a request; after a NeedMore it
    // waits for the empty line that ends the header. So a bad request line can fail at once when
    // it arrives with the rest and wait when it arrives in pieces. Once the header is ended, the
    // two must agree.
    if (!(cut == whole) && cut.requests == whole.requests && cut.last == RequestReader::State::NeedMore &&
        whole.last == RequestReader::State::Failed) {
        const std::string ended = std::string(input) + "\r\n\r\n";
        cut = drive(ended, pieces, limits);
        whole = drive(ended, {}, limits);
    }
    // The header limit is not exact either way: a header section a few bytes over max_header_bytes
    // passes when it arrives whole (Beast bounds the bytes it parses) and is refused with 431
    // when it trickles in (Beast bounds the bytes it has searched for the end); and a header that
    // is both malformed and too large is a 400 whole and a 431 in pieces. So where one side stops
    // at 431, the other must agree on every request before that point and may differ after it.
    // The body limit is not exact in pieces either: Beast takes a chunk's size off the remaining
    // limit before it has read the chunk extensions, and again when a chunk line split inside its
    // extensions is parsed anew (corpus/request/found_request_chunk_ext_413.http): a spurious 413,
    // never a body past the limit.
    auto stopped_at_limit = [](const Outcome& a, const Outcome& b) {
        return a.last == RequestReader::State::Failed && (a.status == 431 || a.status == 413) &&
               b.requests.size() >= a.requests.size() &&
               std::equal(a.requests.begin(), a.requests.end(), b.requests.begin());
    };
    // Which refusal a request gets may also depend on the cut: the reader's own checks of an
    // incomplete remainder (bare LF) run before Beast sees the complete line, and Beast checks a
    // chunk size against the body limit before the rest of the chunk line. A refusal is a refusal.
    const bool both_refused = cut.requests == whole.requests && cut.last == RequestReader::State::Failed &&
                              whole.last == RequestReader::State::Failed;
    const bool limit_or_syntax = both_refused || stopped_at_limit(cut, whole) || stopped_at_limit(whole, cut);
    if (!(cut == whole) && !limit_or_syntax) {  // the bytes' arrival pattern must change nothing
        print("in pieces", cut);
        print("at once", whole);
        CHECK(cut == whole);
    }
    return 0;
}
