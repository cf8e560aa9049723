// Which header and query-parameter values never leave the process through the inspector (error
// records, detail capture, the studio), token or not, and what is shown instead.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cello::engine {

// The rule, case-insensitive on names:
// * exact names: authorization, proxy-authorization, x-api-key, x-auth-token, plus the extra names
//   given (run(inspect_redact=...), --inspect-redact, CELLO_INSPECT_REDACT; see docs/inspector.md);
// * any name containing one of kSecretSubstrings (cookie covers Set-Cookie; token covers
//   X-CSRF-Token and ?access_token=; api_key and apikey catch the spellings api-key does not).
// A secret value is replaced by "<redacted, N bytes>": the length is kept, as it helps debugging
// ("the token was empty") without disclosing anything useful.
class Redaction {
public:
    static constexpr std::string_view kSecretNames[] = {"authorization", "proxy-authorization", "x-api-key",
                                                        "x-auth-token"};
    static constexpr std::string_view kSecretSubstrings[] = {"cookie", "token",   "secret",  "password",
                                                             "passwd", "api-key", "api_key", "apikey"};

    Redaction() = default;  // the built-in rule only
    // Adds exact names. Throws std::invalid_argument for one that is not an HTTP token
    // (empty, spaces, separators), since it could never match a header.
    explicit Redaction(const std::vector<std::string>& extra_names);

    bool is_secret(std::string_view name) const noexcept;
    // `value`, or its redacted stand-in when `name` is secret.
    std::string value(std::string_view name, std::string_view value) const;
    // In place, for every (name, value) pair.
    void apply(std::vector<std::pair<std::string, std::string>>& headers) const;
    // A raw query string ("a=1&token=x") with the values of secret parameters replaced; names are
    // matched after percent-decoding ('+' as space), as request.query would see them.
    std::string query(std::string_view query) const;
    // A request target ("/p?token=x"): the path as is, the query redacted.
    std::string target(std::string_view target) const;

    const std::vector<std::string>& extra_names() const noexcept { return extra_; }  // lowercased

private:
    std::vector<std::string> extra_;
};

}  // namespace cello::engine
