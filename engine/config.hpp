// Settings handed to native middleware from the Python layer (or from C++): a small typed map.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace cello::engine {

using Pairs = std::vector<std::pair<std::string, std::string>>;
using ConfigValue = std::variant<std::monostate, bool, std::int64_t, double, std::string, std::vector<std::string>, Pairs>;

// Typed access with defaults; a value of the wrong type is a std::invalid_argument naming the key.
class Config {
public:
    Config() = default;
    explicit Config(std::map<std::string, ConfigValue, std::less<>> values) : values_(std::move(values)) {}

    void set(std::string key, ConfigValue value) { values_[std::move(key)] = std::move(value); }
    bool has(std::string_view key) const;

    bool get_bool(std::string_view key, bool fallback) const;
    std::int64_t get_int(std::string_view key, std::int64_t fallback) const;
    double get_double(std::string_view key, double fallback) const;  // ints are accepted
    std::string get_string(std::string_view key, std::string fallback) const;
    std::vector<std::string> get_strings(std::string_view key, std::vector<std::string> fallback) const;
    Pairs get_pairs(std::string_view key, Pairs fallback) const;

private:
    template <class T>
    const T* find(std::string_view key) const;

    std::map<std::string, ConfigValue, std::less<>> values_;
};

}  // namespace cello::engine
