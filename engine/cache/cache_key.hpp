// How @cache names a request (RFC 9111 4): the primary key of a request, the secondary key a
// stored response's own Vary adds (RFC 9111 4.1), and whether the request carries credentials
// the key does not separate (RFC 9111 3.5).
//
// Every variable part of a key (host, header values, a custom key) is written length-prefixed, so
// no value can be crafted to look like another request's key.
#pragma once

#include "engine/http_types.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cello::engine {

struct CachePolicy;

// What the key and the credentials rule need from the request's headers, read in one pass.
struct RequestFacts {
    std::string_view host;           // the first Host field; empty when absent
    bool unkeyed_credentials = false;  // see carries_unkeyed_credentials()
};
RequestFacts scan_request(const Request& req, const CachePolicy& policy) noexcept;

// Appends the Host header (lowercased; absent: empty).
void append_cache_host(std::string& key, std::string_view host);

// Appends the target: the path as received (not decoded, so "/a%3Fb" and "/a?b" differ) and the
// query parameters ordered by name only. The sort is stable: "?a=1&b=2" and "?b=2&a=1" share an
// entry, while "?a=1&a=2" and "?a=2&a=1" do not (repeated names keep their order, which handlers
// may rely on).
void append_cache_target(std::string& key, const Request& req);

// Appends, per name (lowercase), every field line of that request header in order, or only the
// name when the request has none (absent and empty are different keys).
void append_cache_headers(std::string& key, const Request& req, const std::vector<std::string>& names);

// The default key of a request: host, target and the headers named in `vary`.
void append_cache_key(std::string& key, const Request& req, const std::vector<std::string>& vary);

// The secondary key for a stored response whose Vary lists `names` (lowercase, sorted).
std::string vary_key(const std::vector<std::string>& names, const Request& req);

// True when the request carries an Authorization or Cookie header that `policy` does not key on:
// a shared cache must not answer it with, or store for others, what may be one user's response.
bool carries_unkeyed_credentials(const Request& req, const CachePolicy& policy) noexcept;

}  // namespace cello::engine
