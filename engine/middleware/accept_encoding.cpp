#include "engine/middleware/accept_encoding.hpp"

#include "engine/http_types.hpp"

namespace cello::engine {

int parse_qvalue(std::string_view s) noexcept {
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
    if (s.empty() || (s[0] != '0' && s[0] != '1')) return -1;
    int value = (s[0] - '0') * 1000;
    if (s.size() == 1) return value;
    if (s[1] != '.' || s.size() > 5) return -1;
    int scale = 100;
    for (std::size_t i = 2; i < s.size(); ++i, scale /= 10) {
        if (s[i] < '0' || s[i] > '9') return -1;
        value += (s[i] - '0') * scale;
    }
    return value > 1000 ? -1 : value;
}

void AcceptEncoding::add(std::string_view value) noexcept {
    if (bytes_left_ == 0 || entries_left_ == 0) return;
    if (value.size() > bytes_left_) {
        // Keep whole entries only: cut at the last comma inside the budget.
        const std::size_t comma = value.substr(0, bytes_left_).rfind(',');
        value = comma == std::string_view::npos ? std::string_view{} : value.substr(0, comma);
        bytes_left_ = 0;
    } else {
        bytes_left_ -= value.size();
    }
    while (!value.empty() && entries_left_ > 0) {
        const std::size_t comma = value.find(',');
        const std::string_view item = trim_ows(value.substr(0, comma));
        if (!item.empty()) {  // "a, , b" is allowed by the list syntax and is not an entry
            --entries_left_;
            entry(item);
        }
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
}

void AcceptEncoding::entry(std::string_view item) noexcept {
    const std::size_t semi = item.find(';');
    const std::string_view coding = trim_ows(item.substr(0, semi));
    int q = 1000;
    std::string_view params = semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1);
    while (!params.empty()) {
        const std::size_t next = params.find(';');
        const std::string_view param = trim_ows(params.substr(0, next));
        const std::size_t eq = param.find('=');
        if (eq != std::string_view::npos && iequals(trim_ows(param.substr(0, eq)), "q")) {
            q = parse_qvalue(trim_ows(param.substr(eq + 1)));
            if (q < 0) return;  // a malformed weight makes the whole entry meaningless: ignore it
        }
        if (next == std::string_view::npos) break;
        params.remove_prefix(next + 1);
    }
    int* slot = nullptr;
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) slot = &gzip_q_;
    else if (iequals(coding, "identity")) slot = &identity_q_;
    else if (coding == "*") slot = &any_q_;
    if (slot && *slot < 0) *slot = q;
}

bool AcceptEncoding::gzip() const noexcept {
    // A specific listing beats "*" (RFC 9110: "*" matches codings not listed elsewhere).
    const int gz = gzip_q_ >= 0 ? gzip_q_ : any_q_;
    if (gz <= 0) return false;
    const int identity = identity_q_ >= 0 ? identity_q_ : any_q_;
    // Unlisted identity has no preference of its own, so any positive gzip weight wins; on a tie
    // the smaller body wins.
    return identity < 0 || gz >= identity;
}

}  // namespace cello::engine
