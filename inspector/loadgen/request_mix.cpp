#include "inspector/loadgen/request_mix.hpp"

#include <algorithm>
#include <cctype>

namespace cello::inspector::loadgen {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool has_header(const LoadConfig& config, std::string_view name) {
    return std::any_of(config.headers.begin(), config.headers.end(), [&](const auto& h) { return iequals(h.first, name); });
}

// host[:port], the port left out when it is the scheme's (80, or 443 for https); an IPv6 address in brackets.
std::string authority(const LoadConfig& config) {
    std::string out;
    // Appended piece by piece: g++ 12 warns falsely (-Wrestrict) on "[" + s + "]".
    const bool v6 = config.host.find(':') != std::string::npos;
    if (v6) out += '[';
    out += config.host;
    if (v6) out += ']';
    if (config.port != (config.tls ? 443 : 80)) {
        out += ':';
        out += std::to_string(config.port);
    }
    return out;
}

// A body needs its length; a POST/PUT/PATCH without one says so too (servers may insist).
bool wants_length(const LoadConfig& config) {
    return !config.body.empty() || config.method == "POST" || config.method == "PUT" || config.method == "PATCH";
}

std::string lower(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

}  // namespace

std::vector<std::string> serialize_requests(const LoadConfig& config) {
    std::string common;  // everything after the request line
    if (!has_header(config, "Host")) common += "Host: " + authority(config) + "\r\n";
    for (const auto& [name, value] : config.headers) common += name + ": " + value + "\r\n";
    if (wants_length(config) && !has_header(config, "Content-Length") && !has_header(config, "Transfer-Encoding"))
        common += "Content-Length: " + std::to_string(config.body.size()) + "\r\n";
    common += "\r\n";
    common += config.body;

    std::vector<std::string> out;
    out.reserve(config.targets.size());
    for (const auto& target : config.targets) out.push_back(config.method + " " + target.path + " HTTP/1.1\r\n" + common);
    return out;
}

std::vector<HeaderFields> http2_requests(const LoadConfig& config) {
    std::string host = authority(config);
    HeaderFields common;
    for (const auto& [name, value] : config.headers) {
        if (iequals(name, "Host")) host = value;
        else if (iequals(name, "TE") && value != "trailers") continue;  // the only TE HTTP/2 allows
        else if (!iequals(name, "Connection") && !iequals(name, "Keep-Alive") && !iequals(name, "Proxy-Connection") &&
                 !iequals(name, "Transfer-Encoding") && !iequals(name, "Upgrade"))
            common.emplace_back(lower(name), value);
    }
    // Transfer-Encoding is dropped: HTTP/2 frames the body itself.
    if (wants_length(config) && !has_header(config, "Content-Length")) common.emplace_back("content-length", std::to_string(config.body.size()));
    std::vector<HeaderFields> out;
    out.reserve(config.targets.size());
    for (const auto& target : config.targets) {
        HeaderFields fields{{":method", config.method},
                            {":scheme", config.tls ? "https" : "http"},
                            {":authority", host},
                            {":path", target.path}};
        fields.insert(fields.end(), common.begin(), common.end());
        out.push_back(std::move(fields));
    }
    return out;
}

MixPicker::MixPicker(const std::vector<Target>& targets) {
    for (const auto& t : targets) {
        weight_.push_back(t.weight);
        total_ += t.weight;
    }
    current_.assign(weight_.size(), 0);
}

std::size_t MixPicker::next() noexcept {
    if (weight_.size() <= 1) return 0;
    std::size_t best = 0;
    for (std::size_t i = 0; i < weight_.size(); ++i) {
        current_[i] += weight_[i];
        if (current_[i] > current_[best]) best = i;
    }
    current_[best] -= total_;
    return best;
}

void MixPicker::advance(std::size_t n) noexcept {
    if (weight_.size() <= 1 || total_ <= 0) return;
    for (n %= static_cast<std::size_t>(total_); n > 0; --n) next();  // the cycle repeats every total_ picks
}

}  // namespace cello::inspector::loadgen
