// Beast's request parser plus the framing rules it leaves to the server (see request_reader.hpp).
#include "engine/net/request_reader.hpp"

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace cello::engine::net {

namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

// Everything a request's views point into. Reused across requests (clear keeps capacity).
struct RequestStorage {
    struct FieldOffsets {
        std::uint32_t name_off, name_len, value_off, value_len;
    };
    std::string arena;  // method, target, field names and values, back to back
    std::uint32_t method_off = 0, method_len = 0, target_off = 0, target_len = 0;
    std::vector<FieldOffsets> fields;
    std::vector<Header> headers;
    std::string body;
    unsigned version = 11;
    bool expect_continue = false;
    bool header_complete = false;  // fields from here on are trailers
    // Framing facts gathered field by field, judged once the header section is complete.
    unsigned host_fields = 0;
    std::uint32_t host_off = 0, host_len = 0;
    unsigned te_fields = 0, te_chunked = 0;
    bool te_last_chunked = false;
    std::string te_unknown;  // the first coding we do not implement
    int reject_status = 0;
    std::string reject_detail;

    void clear() {
        arena.clear();
        fields.clear();
        headers.clear();
        body.clear();
        version = 11;
        expect_continue = false;
        header_complete = false;
        host_fields = 0;
        te_fields = te_chunked = 0;
        te_last_chunked = false;
        te_unknown.clear();
        reject_status = 0;
        reject_detail.clear();
    }

    std::uint32_t keep(std::string_view s) {
        const auto off = static_cast<std::uint32_t>(arena.size());
        arena.append(s.data(), s.size());
        return off;
    }

    std::string_view view(std::uint32_t off, std::uint32_t len) const { return {arena.data() + off, len}; }

    void reject(int status, std::string detail) {
        reject_status = status;
        reject_detail = std::move(detail);
    }
};

// Transfer-Encoding is a list of codings; only `chunked`, once and last, is something we decode.
void note_transfer_codings(RequestStorage& s, std::string_view value) {
    ++s.te_fields;
    while (true) {
        const auto comma = value.find(',');
        const std::string_view coding = trim_ows(value.substr(0, comma));
        if (!coding.empty()) {
            if (iequals(coding, "chunked")) {
                ++s.te_chunked;
                s.te_last_chunked = true;
            } else {
                s.te_last_chunked = false;
                if (s.te_unknown.empty()) s.te_unknown = std::string(coding.substr(0, 64));
            }
        }
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
}

// The framing rules of RFC 9112 §3.2 and §6.1 that Beast does not apply. Sets reject_*.
void judge_header(RequestStorage& s) {
    if (s.te_fields) {
        if (!s.te_unknown.empty()) {
            s.reject(501, "transfer coding \"" + s.te_unknown + "\" is not implemented (only chunked is)");
            return;
        }
        if (s.te_chunked != 1 || !s.te_last_chunked) {
            s.reject(400, "Transfer-Encoding must name chunked exactly once, as the last coding");
            return;
        }
        if (s.version < 11) {
            s.reject(400, "Transfer-Encoding in an HTTP/1.0 request");
            return;
        }
    }
    if (s.host_fields > 1) {
        s.reject(400, "more than one Host header field");
    } else if (s.host_fields == 0 && s.version >= 11) {
        s.reject(400, "HTTP/1.1 request without a Host header field");
    } else if (s.host_fields == 1 && !valid_host_field(s.view(s.host_off, s.host_len))) {
        s.reject(400, "invalid Host header field");
    }
}

using bsv = boost::beast::string_view;
std::string_view sv(bsv s) { return {s.data(), s.size()}; }

// Beast's parser, writing into RequestStorage instead of allocating a fields container.
class Parser final : public http::basic_parser<true> {
public:
    explicit Parser(RequestStorage& s) : s_(s) {}

private:
    void on_request_impl(http::verb, bsv method, bsv target, int version, error_code&) override {
        s_.method_off = s_.keep(sv(method));
        s_.method_len = static_cast<std::uint32_t>(method.size());
        s_.target_off = s_.keep(sv(target));
        s_.target_len = static_cast<std::uint32_t>(target.size());
        s_.version = static_cast<unsigned>(version);
    }
    void on_response_impl(int, bsv, int, error_code&) override {}
    void on_field_impl(http::field f, bsv name, bsv bvalue, error_code&) override {
        // Trailer fields (after a chunked body) are not kept: appending them to the arena would
        // move the storage the header views point into. No handler reads trailers.
        if (s_.header_complete) return;
        const std::string_view value = sv(bvalue);
        const auto no = s_.keep(sv(name));
        const auto vo = s_.keep(value);
        const auto vlen = static_cast<std::uint32_t>(value.size());
        s_.fields.push_back({no, static_cast<std::uint32_t>(name.size()), vo, vlen});
        switch (f) {
        case http::field::expect:
            // HTTP/1.0 clients cannot understand an interim answer (RFC 9110 §10.1.1).
            if (s_.version >= 11 && iequals(value, "100-continue")) s_.expect_continue = true;
            break;
        case http::field::host:
            ++s_.host_fields;
            s_.host_off = vo;
            s_.host_len = vlen;
            break;
        case http::field::transfer_encoding:
            note_transfer_codings(s_, value);
            break;
        default:
            break;
        }
    }
    void on_header_impl(error_code& ec) override {
        s_.header_complete = true;
        // The arena is complete now, so views into it stay valid for the rest of the request.
        for (const auto& f : s_.fields)
            s_.headers.push_back({s_.view(f.name_off, f.name_len), s_.view(f.value_off, f.value_len)});
        judge_header(s_);
        if (s_.reject_status) ec = http::error::bad_transfer_encoding;  // any error stops the parser
    }
    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
        // Not more than a buffered body's size: a larger one is handed on in pieces.
        if (length) s_.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, 1024 * 1024)));
    }
    std::size_t on_body_impl(bsv body, error_code&) override {
        s_.body.append(body.data(), body.size());
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, bsv, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, bsv body, error_code&) override {
        s_.body.append(body.data(), body.size());
        return body.size();
    }
    void on_finish_impl(error_code&) override {}

    RequestStorage& s_;
};

int status_for(const error_code& ec) {
    if (ec == http::error::header_limit) return 431;
    if (ec == http::error::body_limit) return 413;
    return 400;
}

// "GET / HTTP/1.2\r\n": RFC 9110 §2.5 — a 1.x message with a higher minor version is handled as
// the highest 1.x we implement. Beast refuses anything but 1.0 and 1.1, so rewrite the digit.
bool downgrade_minor_version(char* line, std::size_t len) {
    if (len < 10 || line[len - 1] != '\r') return false;
    char* v = line + len - 10;  // " HTTP/1.D\r"
    if (std::memcmp(v, " HTTP/1.", 8) != 0 || v[8] < '2' || v[8] > '9') return false;
    v[8] = '1';
    return true;
}

}  // namespace

struct RequestReader::Impl {
    RequestStorage storage;
    std::optional<Parser> parser;
    RequestLimits limits;
    bool begun = false;          // a byte of the request line has been seen (empty lines skipped)
    std::size_t lf_checked = 0;  // unconsumed bytes already known to hold no bare LF
    std::size_t header_used = 0;  // bytes of the header section consumed before it was complete
    int status = 0;
    std::string detail;

    void new_parser() {
        parser.emplace(storage);
        parser->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
        parser->body_limit(limits.max_body_bytes);
        parser->eager(false);  // put() stops after the header section: see put()
    }

    RequestReader::State fail(int st, std::string why) {
        status = st;
        detail = std::move(why);
        return RequestReader::State::Failed;
    }

    // A bare LF where the framing needs CRLF: Beast would wait for a CR that never comes.
    // Only the bytes not yet looked at are scanned, so a slow client costs linear time.
    bool has_bare_lf(const char* data, std::size_t size) {
        for (std::size_t i = lf_checked; i < size; ++i)
            if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) return true;
        lf_checked = size;
        return false;
    }
};

RequestReader::RequestReader() : impl_(std::make_unique<Impl>()) {}
RequestReader::~RequestReader() = default;

void RequestReader::start(const RequestLimits& limits) {
    Impl& m = *impl_;
    m.storage.clear();
    m.limits = limits;
    m.begun = false;
    m.lf_checked = 0;
    m.header_used = 0;
    m.status = 0;
    m.detail.clear();
    m.new_parser();
}

bool RequestReader::active() const noexcept { return impl_->parser.has_value(); }
void RequestReader::reset() noexcept { impl_->parser.reset(); }

RequestReader::State RequestReader::put(char* data, std::size_t size, std::size_t& used) {
    Impl& m = *impl_;
    used = 0;
    if (!m.begun) {
        // RFC 9112 §2.2: a server SHOULD ignore empty lines received before the request line.
        while (used < size && (data[used] == '\r' || data[used] == '\n')) ++used;
        if (used == size) return State::NeedMore;
        m.begun = true;
        data += used;
        size -= used;
    }
    const std::size_t skipped = used;
    const bool had_header = m.parser->is_header_done();
    error_code ec;
    std::size_t n = m.parser->put(boost::asio::const_buffer(data, size), ec);
    if (ec == http::error::bad_version) {
        // Rare, so looked at only after Beast refused it: HTTP/1.2 and up is read as 1.1. Beast
        // judges the version before the line's end has arrived: then wait for the whole line.
        const std::size_t look = std::min(size, m.limits.max_header_bytes);
        const void* lf = std::memchr(data, '\n', look);
        const bool line_complete = lf != nullptr;
        if (!line_complete && look < m.limits.max_header_bytes) {
            m.storage.clear();
            m.new_parser();  // a failed parser cannot be resumed; this one starts the line again
            used = skipped;
            return State::NeedMore;
        }
        if (line_complete && downgrade_minor_version(data, static_cast<std::size_t>(static_cast<const char*>(lf) - data))) {
            m.storage.clear();
            m.new_parser();
            n = m.parser->put(boost::asio::const_buffer(data, size), ec);
        }
    }
    if (!had_header && !ec && m.parser->is_header_done()) {
        // Not eager until here, so `n` ends exactly with the header section (Beast may have taken
        // the request line in an earlier put()): Beast holds the request line and the fields to
        // the limit separately, the limit is for both together.
        if (m.header_used + n > m.limits.max_header_bytes)
            return m.fail(431, "request header section larger than the limit");
        if (!m.parser->is_done()) {
            m.parser->eager(true);  // the body is consumed as it arrives
            std::size_t more = 0;
            if (n < size) more = m.parser->put(boost::asio::const_buffer(data + n, size - n), ec);
            n += more;
        }
    }
    if (!had_header && !m.parser->is_header_done()) m.header_used += n;  // a request line taken alone
    used = skipped + n;
    if (n > 0) m.lf_checked = 0;  // the unconsumed part starts elsewhere now
    if (ec && ec != http::error::need_more) {
        if (m.storage.reject_status) return m.fail(m.storage.reject_status, m.storage.reject_detail);
        return m.fail(status_for(ec), ec.message());
    }
    if (m.parser->is_done()) return State::Done;
    // Incomplete: what is left is a header section, a chunk line or the trailers (bodies are
    // consumed as they arrive). Each is bounded, and each needs CRLF line ends.
    const char* rest = data + n;
    const std::size_t left = size - n;
    if (m.parser->is_header_done() && left > m.limits.max_header_bytes)
        return m.fail(431, "chunk line or trailer section larger than the header limit");
    if (m.has_bare_lf(rest, std::min(left, m.limits.max_header_bytes + 4)))
        return m.fail(400, "bare LF in the request framing (CRLF required)");
    return State::NeedMore;
}

bool RequestReader::header_done() const noexcept { return impl_->parser && impl_->parser->is_header_done(); }
bool RequestReader::expect_continue() const noexcept { return impl_->storage.expect_continue; }
bool RequestReader::keep_alive() const noexcept { return impl_->parser && impl_->parser->keep_alive(); }
int RequestReader::error_status() const noexcept { return impl_->status; }
std::string_view RequestReader::error_detail() const noexcept { return impl_->detail; }

std::string_view RequestReader::method() const noexcept {
    const auto& s = impl_->storage;
    return s.view(s.method_off, s.method_len);
}
std::string_view RequestReader::target() const noexcept {
    const auto& s = impl_->storage;
    return s.view(s.target_off, s.target_len);
}
const Header* RequestReader::headers() const noexcept { return impl_->storage.headers.data(); }
std::size_t RequestReader::header_count() const noexcept { return impl_->storage.headers.size(); }
std::string_view RequestReader::body() const noexcept { return impl_->storage.body; }
unsigned RequestReader::version() const noexcept { return impl_->storage.version; }

std::optional<std::uint64_t> RequestReader::content_length() const noexcept {
    if (!impl_->parser || impl_->parser->chunked()) return std::nullopt;
    const auto n = impl_->parser->content_length();
    return n ? std::optional<std::uint64_t>(*n) : std::optional<std::uint64_t>(0);
}
std::size_t RequestReader::body_size() const noexcept { return impl_->storage.body.size(); }
void RequestReader::take_body(std::string& out) {
    std::string& body = impl_->storage.body;
    if (out.empty()) out.swap(body);
    else out.append(body);
    body.clear();
}

namespace {

constexpr std::array<bool, 256> make_reg_name_table() {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (char c : std::string_view("-._~!$&'()*+,;=")) t[static_cast<unsigned char>(c)] = true;
    return t;
}
constexpr auto kRegName = make_reg_name_table();  // unreserved / sub-delims (RFC 3986)

bool is_unreserved_or_sub_delim(unsigned char c) { return kRegName[c]; }

bool is_hex(unsigned char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

bool all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool valid_host_field(std::string_view value) noexcept {
    if (!value.empty() && value.front() == '[') {
        // IP-literal: IPv6address or IPvFuture, checked for its alphabet (the address is not used).
        const auto close = value.find(']');
        if (close == std::string_view::npos || close == 1) return false;
        for (unsigned char c : value.substr(1, close - 1))
            if (!is_unreserved_or_sub_delim(c) && c != ':') return false;
        const std::string_view after = value.substr(close + 1);
        if (after.empty()) return true;
        return after.front() == ':' && all_digits(after.substr(1));
    }
    for (std::size_t i = 0; i < value.size(); ++i) {  // reg-name or IPv4, then an optional port
        const auto c = static_cast<unsigned char>(value[i]);
        if (kRegName[c]) continue;
        if (c == ':') return all_digits(value.substr(i + 1));
        if (c != '%' || i + 2 >= value.size() || !is_hex(value[i + 1]) || !is_hex(value[i + 2])) return false;
        i += 2;
    }
    return true;
}

}  // namespace cello::engine::net
