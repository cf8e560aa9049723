#include "inspector/bench/route_url.hpp"

namespace cello::inspector::bench {

std::string fill_path_params(std::string_view pattern) {
    std::string out;
    out.reserve(pattern.size());
    std::size_t pos = 0;
    while (pos < pattern.size()) {
        const auto open = pattern.find('{', pos);
        const auto close = open == std::string_view::npos ? open : pattern.find('}', open);
        if (close == std::string_view::npos) {  // no (complete) parameter left
            out.append(pattern.substr(pos));
            break;
        }
        out.append(pattern.substr(pos, open - pos));
        const std::string_view inner = pattern.substr(open + 1, close - open - 1);
        const bool catch_all = (!inner.empty() && inner.front() == '*') || inner.ends_with(":path");
        out += catch_all ? "x" : "1";  // "1" is a valid int and a valid str
        pos = close + 1;
    }
    return out;
}

std::string bench_url(std::string_view host, std::uint16_t port, std::string_view path) {
    std::string h(host);
    if (h.empty() || h == "0.0.0.0") h = "127.0.0.1";
    else if (h == "::" || h == "[::]") h = "[::1]";
    else if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";
    std::string p(path.empty() ? "/" : path);
    if (p.front() != '/') p.insert(p.begin(), '/');
    return "http://" + h + ":" + std::to_string(port) + p;
}

}  // namespace cello::inspector::bench
