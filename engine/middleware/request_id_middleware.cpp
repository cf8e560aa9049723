#include "engine/middleware/request_id_middleware.hpp"

#include "engine/middleware/response_headers.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace cello::engine {

namespace {

constexpr std::size_t kMaxIdLength = 128;

std::mt19937_64& thread_prng() {
    // Seeded once per thread from the OS, on the thread's first id: engine threads start in the
    // serving process (after any fork), so no two processes share a sequence. Ids need to be
    // unique, not secret.
    thread_local std::mt19937_64 prng = [] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }();
    return prng;
}

class RequestIdMiddleware final : public Middleware {
public:
    explicit RequestIdMiddleware(std::string header) : header_(std::move(header)) {}

    bool before(Exchange& ex) override {
        const std::string_view given = ex.req.header(header_);
        if (sane_request_id(given)) ex.request_id.assign(given);
        else new_request_id(ex.request_id);
        ex.req.id = ex.request_id;
        return false;
    }

    void after(Exchange& ex) override {
        // A request rejected before the middleware ran (a malformed path) still gets an id back.
        if (ex.request_id.empty()) new_request_id(ex.request_id);
        if (!has_header(ex.res, header_)) ex.res.headers.emplace_back(header_, ex.request_id);
    }

private:
    std::string header_;
};

}  // namespace

bool sane_request_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > kMaxIdLength) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '\\';
    });
}

void new_request_id(std::string& out) {
    auto& prng = thread_prng();
    std::uint64_t hi = prng(), lo = prng();
    hi = (hi & ~0xf000ULL) | 0x4000ULL;                    // version 4
    lo = (lo & ~(0xc0ULL << 56)) | (0x80ULL << 56);         // variant 10xx
    static constexpr char kHex[] = "0123456789abcdef";
    char buf[36];
    std::size_t n = 0;
    for (int i = 0; i < 32; ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20) buf[n++] = '-';
        const std::uint64_t word = i < 16 ? hi : lo;
        const int shift = 60 - 4 * (i % 16);
        buf[n++] = kHex[(word >> shift) & 0xf];
    }
    out.assign(buf, n);
}

std::shared_ptr<Middleware> make_request_id_middleware(const Config& config) {
    std::string header = config.get_string("header", "X-Request-ID");
    const bool token = !header.empty() && std::all_of(header.begin(), header.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
    if (!token) throw std::invalid_argument("request id header '" + header + "' is not a header name");
    return std::make_shared<RequestIdMiddleware>(std::move(header));
}

}  // namespace cello::engine
