// JSON string escaping, shared by the engine's error bodies and pyembed's object writer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cello::engine {

// Worst case output size of write_json_string for `n` input bytes (every byte as \u00XX, quotes).
constexpr std::size_t json_string_max_size(std::size_t n) noexcept { return 6 * n + 2; }

// Writes `s` (UTF-8) as a quoted JSON string at `dst`, which must have room for
// json_string_max_size(s.size()) bytes; returns the end. Non-ASCII passes through unescaped;
// control characters, quote and backslash are escaped.
char* write_json_string(char* dst, std::string_view s) noexcept;

// The same, appended to a std::string.
void append_json_string(std::string& out, std::string_view s);

}  // namespace cello::engine
