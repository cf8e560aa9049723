#include "engine/cache/cache_codec.hpp"

#include <algorithm>

namespace cello::engine {

namespace {

// Version 1. A reader of another version sees a miss, so servers of two releases can share a
// Redis during a rolling upgrade.
constexpr std::string_view kMagic = "cello-cache/1\n";

void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_str(std::string& out, std::string_view s) {
    put_u64(out, s.size());
    out += s;
}

class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    bool u64(std::uint64_t& v) {
        if (in_.size() < 8) return false;
        v = 0;
        for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[i])) << (8 * i);
        in_.remove_prefix(8);
        return true;
    }
    bool str(std::string& s) {
        std::uint64_t n = 0;
        if (!u64(n) || n > in_.size()) return false;
        s.assign(in_.substr(0, n));
        in_.remove_prefix(n);
        return true;
    }
    // How many items follow, each at least `min_size` bytes long (so a damaged count cannot make
    // the reader allocate beyond what the bytes could hold).
    bool count(std::uint64_t& n, std::size_t min_size) { return u64(n) && n <= in_.size() / min_size; }
    bool done() const noexcept { return in_.empty(); }

private:
    std::string_view in_;
};

}  // namespace

std::int64_t unix_millis_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string encode_cached(const CachedResponse& e, std::int64_t stored_unix_ms, std::int64_t expires_unix_ms) {
    std::string out(kMagic);
    out.reserve(kMagic.size() + e.body.size() + 256);
    put_u64(out, static_cast<std::uint64_t>(e.status));
    put_u64(out, static_cast<std::uint64_t>(stored_unix_ms));
    put_u64(out, static_cast<std::uint64_t>(expires_unix_ms));
    put_u64(out, e.shared ? 1 : 0);
    put_str(out, e.content_type);
    put_u64(out, e.headers.size());
    for (const auto& [name, value] : e.headers) {
        put_str(out, name);
        put_str(out, value);
    }
    put_str(out, e.path);
    put_u64(out, e.tags.size());
    for (const auto& t : e.tags) put_str(out, t);
    put_str(out, e.body);
    return out;
}

std::shared_ptr<CachedResponse> decode_cached(std::string_view bytes, std::int64_t now_unix_ms,
                                              std::chrono::steady_clock::time_point now) {
    if (!bytes.starts_with(kMagic)) return nullptr;
    Reader r(bytes.substr(kMagic.size()));
    auto e = std::make_shared<CachedResponse>();
    std::uint64_t status = 0, stored = 0, expires = 0, shared = 0, n = 0;
    if (!r.u64(status) || !r.u64(stored) || !r.u64(expires) || !r.u64(shared) || !r.str(e->content_type)) return nullptr;
    if (status < 100 || status > 999) return nullptr;
    if (!r.count(n, 16)) return nullptr;  // a header: two lengths
    e->headers.resize(n);
    for (auto& [name, value] : e->headers)
        if (!r.str(name) || !r.str(value)) return nullptr;
    if (!r.str(e->path) || !r.count(n, 8)) return nullptr;  // a tag: one length
    e->tags.resize(n);
    for (auto& t : e->tags)
        if (!r.str(t)) return nullptr;
    if (!r.str(e->body) || !r.done()) return nullptr;
    const auto stored_ms = static_cast<std::int64_t>(stored);
    const auto expires_ms = static_cast<std::int64_t>(expires);
    // Ten years ahead, a year back, a day of clock skew at most: beyond is not an entry this version
    // wrote (and would overflow the clock).
    constexpr std::int64_t kDay = 24LL * 3600 * 1000;
    if (expires_ms <= now_unix_ms || expires_ms - now_unix_ms > 3660 * kDay || now_unix_ms - stored_ms > 366 * kDay ||
        stored_ms - now_unix_ms > kDay)
        return nullptr;
    e->status = static_cast<int>(status);
    e->shared = shared != 0;
    // Age counts from when the first server stored it; a clock a little ahead is not a negative age.
    e->stored = now - std::chrono::milliseconds(std::max<std::int64_t>(0, now_unix_ms - stored_ms));
    e->expires = now + std::chrono::milliseconds(expires_ms - now_unix_ms);
    return e;
}

}  // namespace cello::engine
