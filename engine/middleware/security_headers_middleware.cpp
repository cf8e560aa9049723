#include "engine/middleware/security_headers_middleware.hpp"

#include "engine/middleware/response_headers.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace cello::engine {

namespace {

bool is_tchar(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Checked once at start-up, so every response can copy the pairs without looking at them again.
void check(const std::string& name, const std::string& value) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_tchar))
        throw std::invalid_argument("security header name '" + name + "' is not a header name");
    if (iequals(name, "content-type") || iequals(name, "content-length"))
        throw std::invalid_argument("security headers cannot set " + name);
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
        throw std::invalid_argument("security header '" + name + "' has CR, LF or NUL in its value");
}

class SecurityHeadersMiddleware final : public Middleware {
public:
    explicit SecurityHeadersMiddleware(Pairs headers) : headers_(std::move(headers)) {}

    void after(Exchange& ex) override {
        Response& res = ex.res;
        for (const auto& [name, value] : headers_)
            if (!has_header(res, name)) res.headers.emplace_back(name, value);
    }

private:
    Pairs headers_;
};

}  // namespace

std::shared_ptr<Middleware> make_security_headers_middleware(const Config& config) {
    Pairs headers;
    try {
        headers = config.get_pairs("headers", {});
    } catch (const std::invalid_argument&) {
        // An empty Python list arrives as an empty list of strings: no pairs, not an error.
        if (!config.get_strings("headers", {}).empty()) throw;
    }
    for (const auto& [name, value] : headers) check(name, value);
    return std::make_shared<SecurityHeadersMiddleware>(std::move(headers));
}

}  // namespace cello::engine
