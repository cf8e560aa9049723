#include "engine/middleware/compression_middleware.hpp"

#include "engine/middleware/accept_encoding.hpp"
#include "engine/middleware/gzip.hpp"
#include "engine/cache/response_cache.hpp"
#include "engine/middleware/response_headers.hpp"
#include "engine/route_table.hpp"
#include "engine/status.hpp"

#include <stdexcept>
#include <string>

namespace cello::engine {

namespace {

bool ends_with_ci(std::string_view s, std::string_view suffix) noexcept {
    return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

bool starts_with_ci(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool client_accepts_gzip(const Request& req) noexcept {
    AcceptEncoding accept;
    bool any = false;
    for (std::size_t i = 0; i < req.header_count; ++i) {
        if (!iequals(req.headers[i].name, "accept-encoding")) continue;
        accept.add(req.headers[i].value);  // several lines form one list (RFC 9110 5.3)
        any = true;
    }
    // No header at all: RFC 9110 allows any coding, but clients that can decode gzip say so, and
    // tools that do not (curl without --compressed) must not get bytes they cannot read.
    return any && accept.gzip();
}

// A strong validator names the identity bytes; the gzip bytes are a different representation,
// so a strong ETag becomes weak (what nginx does) rather than lie.
void weaken_etag(Response& res) {
    for (auto& [n, v] : res.headers)
        if (iequals(n, "etag") && !v.empty() && v.front() == '"') v.insert(0, "W/");
}

class CompressionMiddleware final : public Middleware {
public:
    CompressionMiddleware(std::size_t min_size, int level) : min_size_(min_size), level_(level) {}

    void after(Exchange& ex) override {
        Response& res = ex.res;
        // Streams are sent as produced and are not compressed (a file stream also has a fixed
        // Content-Length and may answer a Range). Bodiless statuses have nothing to compress.
        if (res.stream || status_forbids_body(res.status) || res.status == 206) return;
        if (res.body.size() < min_size_ || !compressible_type(res.content_type)) return;
        if (has_header(res, "content-encoding") || has_header(res, "content-range")) return;
        // From here the answer depends on Accept-Encoding, whichever way it goes.
        add_vary(res, "Accept-Encoding");
        if (ex.head_only || !client_accepts_gzip(ex.req)) return;
        if (ex.cache_entry ? !cached_gzip(ex) : !fresh_gzip(res)) return;
        res.headers.emplace_back("Content-Encoding", "gzip");
        weaken_etag(res);
    }

private:
    bool fresh_gzip(Response& res) const {
        thread_local std::string out;  // swapped with the body: buffers are reused, not reallocated
        if (!gzip_compress(res.body, level_, out)) return false;
        res.body.swap(out);
        return true;
    }

    // A cached body is compressed once, by the first request that wants gzip; later hits copy
    // the stored variant.
    bool cached_gzip(Exchange& ex) const {
        const CachedResponse& entry = *ex.cache_entry;
        if (entry.has_gzip()) {
            ex.res.body = entry.gzip_body();
            return true;
        }
        std::string gz;
        if (!gzip_compress(ex.res.body, level_, gz)) return false;
        ex.res.body = gz;
        const std::size_t size = gz.size();
        if (entry.set_gzip_body(std::move(gz)))
            if (const auto& cache = ex.table.cache()) cache->add_bytes(&entry, size);
        return true;
    }

    std::size_t min_size_;
    int level_;
};

}  // namespace

bool compressible_type(std::string_view ct) noexcept {
    ct = ct.substr(0, ct.find(';'));
    while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
    if (starts_with_ci(ct, "text/")) return ct.size() > 5;
    if (ends_with_ci(ct, "+json") || ends_with_ci(ct, "+xml")) return ct.find('/') != std::string_view::npos;
    for (std::string_view t : {"application/json", "application/javascript", "application/x-javascript",
                               "application/ecmascript", "application/xml", "application/x-ndjson"})
        if (iequals(ct, t)) return true;
    return false;
}

std::shared_ptr<Middleware> make_compression_middleware(const Config& config) {
    const std::int64_t min_size = config.get_int("min_size", 1024);
    const std::int64_t level = config.get_int("level", 6);
    if (min_size < 0) throw std::invalid_argument("compression min_size must be >= 0");
    if (level < 1 || level > 9) throw std::invalid_argument("compression level must be 1..9");
    return std::make_shared<CompressionMiddleware>(static_cast<std::size_t>(min_size), static_cast<int>(level));
}

}  // namespace cello::engine
