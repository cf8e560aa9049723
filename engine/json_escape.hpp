// JSON string escaping, shared by the engine's error bodies and pyembed's object writer.
#pragma once

#include <string>
#include <string_view>

namespace cello::engine {

// Appends `s` (UTF-8) as a quoted JSON string. Non-ASCII passes through unescaped; control
// characters, quote and backslash are escaped.
void append_json_string(std::string& out, std::string_view s);

}  // namespace cello::engine
