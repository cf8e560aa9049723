#include "engine/middleware/cors_middleware.hpp"

#include "engine/middleware/response_headers.hpp"
#include "engine/router.hpp"
#include "engine/status.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace cello::engine {

namespace {

constexpr std::size_t kMaxOrigin = 512;
constexpr std::size_t kMaxRequestHeaders = 2048;  // reflected Access-Control-Request-Headers

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool is_tchar(char c) noexcept {
    return is_alpha(c) || is_digit(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Calls f(token) for each element of a comma-separated list; false when an element is not a
// header-name token (then nothing from the list is trusted).
template <class F>
bool each_token(std::string_view list, F&& f) {
    while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view item = trim_ows(list.substr(0, comma));
        if (!item.empty()) {
            if (!std::all_of(item.begin(), item.end(), is_tchar)) return false;
            f(item);
        }
        if (comma == std::string_view::npos) return true;
        list.remove_prefix(comma + 1);
    }
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) {
        if (!out.empty()) out += ", ";
        out += s;
    }
    return out;
}

bool contains_ci(const std::vector<std::string>& items, std::string_view s) {
    return std::any_of(items.begin(), items.end(), [&](const std::string& i) { return iequals(i, s); });
}

class CorsMiddleware final : public Middleware {
public:
    explicit CorsMiddleware(const Config& config)
        : origins_(config.get_strings("origins", {"*"})),
          methods_(config.get_strings("methods", {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})),
          headers_(config.get_strings("headers", {"*"})),
          credentials_(config.get_bool("credentials", false)) {
        any_origin_ = contains_ci(origins_, "*");
        any_method_ = contains_ci(methods_, "*");
        any_header_ = contains_ci(headers_, "*");
        for (const auto& o : origins_)
            if (o != "*" && !valid_origin(o))
                throw std::invalid_argument("CORS origin '" + o +
                                            "' is not scheme://host[:port] (no path, no trailing '/')");
        for (const auto& h : headers_)
            if (h.empty() || !std::all_of(h.begin(), h.end(), is_tchar))
                throw std::invalid_argument("CORS header '" + h + "' is not a header name");
        const std::int64_t max_age = config.get_int("max_age", 86400);
        if (max_age < 0) throw std::invalid_argument("CORS max_age must be >= 0");
        max_age_ = std::to_string(max_age);
        methods_line_ = join(methods_);
        headers_line_ = join(headers_);
        expose_line_ = join(config.get_strings("expose_headers", {}));
        // With credentials the exact origin is echoed, so the answer depends on it; "*" without
        // credentials is the same for every valid origin.
        origin_dependent_ = credentials_ || !any_origin_;
    }

    bool before(Exchange& ex) override {
        if (!is_preflight(ex)) return false;
        Response& res = ex.res;
        const std::string_view origin = single_origin(ex.req);
        if (!origin_allowed(origin)) {
            make_error(res, 403, "CORS origin not allowed");
            return true;
        }
        // Method names are case-sensitive tokens (RFC 9110 9.1): compared exactly.
        const std::string_view method = trim_ows(ex.req.header("access-control-request-method"));
        const bool method_ok = !method.empty() && std::all_of(method.begin(), method.end(), is_tchar) &&
                               (any_method_ || std::find(methods_.begin(), methods_.end(), method) != methods_.end());
        if (!method_ok) {
            make_error(res, 403, "CORS method not allowed");
            return true;
        }
        const std::string_view asked = trim_ows(ex.req.header("access-control-request-headers"));
        bool listed = true;
        const bool well_formed = asked.size() <= kMaxRequestHeaders && each_token(asked, [&](std::string_view h) {
            if (!any_header_ && !contains_ci(headers_, h)) listed = false;
        });
        if (!well_formed || !listed) {
            make_error(res, 403, "CORS request headers not allowed");
            return true;
        }
        res.status = 204;
        res.body.clear();
        res.content_type.clear();
        allow_origin(res, origin);
        res.headers.emplace_back("Access-Control-Allow-Methods", any_method_ ? std::string(method) : methods_line_);
        if (any_header_) {
            if (!asked.empty()) res.headers.emplace_back("Access-Control-Allow-Headers", std::string(asked));
        } else if (!headers_line_.empty()) {
            res.headers.emplace_back("Access-Control-Allow-Headers", headers_line_);
        }
        res.headers.emplace_back("Access-Control-Max-Age", max_age_);
        add_vary(res, "Origin");
        if (any_header_) add_vary(res, "Access-Control-Request-Headers");
        return true;
    }

    void after(Exchange& ex) override {
        if (is_preflight(ex)) return;  // before() answered it, with or without CORS headers
        Response& res = ex.res;
        if (origin_dependent_) add_vary(res, "Origin");  // also without Origin: a cache must know
        if (ex.req.header("origin").empty()) return;
        const std::string_view origin = single_origin(ex.req);
        if (!origin_allowed(origin) || has_header(res, "access-control-allow-origin")) return;
        allow_origin(res, origin);
        if (!expose_line_.empty()) res.headers.emplace_back("Access-Control-Expose-Headers", expose_line_);
    }

private:
    static bool is_preflight(const Exchange& ex) {
        return ex.method == static_cast<std::uint8_t>(Method::Options) && !ex.req.header("origin").empty() &&
               !ex.req.header("access-control-request-method").empty();
    }

    // The Origin value, or empty when it is absent, repeated or malformed.
    static std::string_view single_origin(const Request& req) {
        std::string_view origin;
        for (std::size_t i = 0; i < req.header_count; ++i) {
            if (!iequals(req.headers[i].name, "origin")) continue;
            if (!origin.empty()) return {};  // two Origin lines: which one is the browser's?
            origin = trim_ows(req.headers[i].value);
            if (origin.empty()) return {};
        }
        return valid_origin(origin) ? origin : std::string_view{};
    }

    bool origin_allowed(std::string_view origin) const {
        if (origin.empty()) return false;
        // "null" is what sandboxed frames and file: pages send: anyone can forge it, so "*" does
        // not include it; it must be listed.
        if (origin == "null") return contains_ci(origins_, "null");
        return any_origin_ || contains_ci(origins_, origin);
    }

    void allow_origin(Response& res, std::string_view origin) const {
        // Browsers reject "*" on credentialed requests: echo the exact origin instead.
        res.headers.emplace_back("Access-Control-Allow-Origin", origin_dependent_ ? origin : std::string_view("*"));
        if (credentials_) res.headers.emplace_back("Access-Control-Allow-Credentials", "true");
    }

    std::vector<std::string> origins_, methods_, headers_;
    bool credentials_;
    bool any_origin_ = false, any_method_ = false, any_header_ = false, origin_dependent_ = false;
    std::string max_age_, methods_line_, headers_line_, expose_line_;
};

}  // namespace

bool valid_origin(std::string_view o) noexcept {
    if (o == "null") return true;
    if (o.empty() || o.size() > kMaxOrigin || !is_alpha(o[0])) return false;
    std::size_t i = 1;
    while (i < o.size() && (is_alpha(o[i]) || is_digit(o[i]) || o[i] == '+' || o[i] == '-' || o[i] == '.')) ++i;
    if (o.substr(i, 3) != "://") return false;
    i += 3;
    const std::size_t host = i;
    if (i < o.size() && o[i] == '[') {  // IPv6 literal
        const std::size_t close = o.find(']', i);
        if (close == std::string_view::npos || close == i + 1) return false;
        for (std::size_t k = i + 1; k < close; ++k) {
            const char c = o[k];
            const bool hex = is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!hex && c != ':' && c != '.') return false;
        }
        i = close + 1;
    } else {
        while (i < o.size() && (is_alpha(o[i]) || is_digit(o[i]) || o[i] == '-' || o[i] == '.' || o[i] == '_')) ++i;
        if (i == host) return false;
    }
    if (i == o.size()) return true;
    if (o[i] != ':' || o.size() - i - 1 < 1 || o.size() - i - 1 > 5) return false;
    for (++i; i < o.size(); ++i)
        if (!is_digit(o[i])) return false;
    return true;
}

std::shared_ptr<Middleware> make_cors_middleware(const Config& config) {
    return std::make_shared<CorsMiddleware>(config);
}

}  // namespace cello::engine
