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

}  // namespace

std::vector<std::string> serialize_requests(const LoadConfig& config) {
    std::string common;  // everything after the request line
    if (!has_header(config, "Host")) {
        const bool v6 = config.host.find(':') != std::string::npos;
        common += "Host: ";
        // Appended piece by piece: g++ 12 warns falsely (-Wrestrict) on "[" + s + "]".
        if (v6) common += '[';
        common += config.host;
        if (v6) common += ']';
        if (config.port != 80) {
            common += ':';
            common += std::to_string(config.port);
        }
        common += "\r\n";
    }
    for (const auto& [name, value] : config.headers) common += name + ": " + value + "\r\n";
    // A body needs its length; a POST/PUT/PATCH without one says so too (servers may insist).
    const bool wants_length = !config.body.empty() || config.method == "POST" || config.method == "PUT" ||
                              config.method == "PATCH";
    if (wants_length && !has_header(config, "Content-Length") && !has_header(config, "Transfer-Encoding"))
        common += "Content-Length: " + std::to_string(config.body.size()) + "\r\n";
    common += "\r\n";
    common += config.body;

    std::vector<std::string> out;
    out.reserve(config.targets.size());
    for (const auto& target : config.targets) out.push_back(config.method + " " + target.path + " HTTP/1.1\r\n" + common);
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
