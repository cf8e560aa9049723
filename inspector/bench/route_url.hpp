// The URL to benchmark a route of the running app: its pattern with every parameter filled with a
// value the router accepts, so a run hits the handler rather than the 404 path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cello::inspector::bench {

// "/users/{id:int}" -> "/users/1"; "{id}" and "{id:str}" -> "1"; "{p:path}" and "{*p}" -> "x".
// Text outside braces is kept as it is.
std::string fill_path_params(std::string_view pattern);

// "http://host:port/path". A wildcard bind address (empty, 0.0.0.0, ::) becomes the loopback
// address a client can reach; an IPv6 literal gets brackets.
std::string bench_url(std::string_view host, std::uint16_t port, std::string_view path);

}  // namespace cello::inspector::bench
