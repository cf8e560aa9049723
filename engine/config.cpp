#include "engine/config.hpp"

namespace cello::engine {

template <class T>
const T* Config::find(std::string_view key) const {
    const auto it = values_.find(key);
    if (it == values_.end() || std::holds_alternative<std::monostate>(it->second)) return nullptr;
    if (const T* v = std::get_if<T>(&it->second)) return v;
    throw std::invalid_argument("setting '" + std::string(key) + "' has the wrong type");
}

bool Config::has(std::string_view key) const {
    const auto it = values_.find(key);
    return it != values_.end() && !std::holds_alternative<std::monostate>(it->second);
}

bool Config::get_bool(std::string_view key, bool fallback) const {
    const bool* v = find<bool>(key);
    return v ? *v : fallback;
}

std::int64_t Config::get_int(std::string_view key, std::int64_t fallback) const {
    const std::int64_t* v = find<std::int64_t>(key);
    return v ? *v : fallback;
}

double Config::get_double(std::string_view key, double fallback) const {
    const auto it = values_.find(key);
    if (it != values_.end())
        if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
    const double* v = find<double>(key);
    return v ? *v : fallback;
}

std::string Config::get_string(std::string_view key, std::string fallback) const {
    const std::string* v = find<std::string>(key);
    return v ? *v : std::move(fallback);
}

std::vector<std::string> Config::get_strings(std::string_view key, std::vector<std::string> fallback) const {
    const auto* v = find<std::vector<std::string>>(key);
    return v ? *v : std::move(fallback);
}

Pairs Config::get_pairs(std::string_view key, Pairs fallback) const {
    const Pairs* v = find<Pairs>(key);
    return v ? *v : std::move(fallback);
}

}  // namespace cello::engine
