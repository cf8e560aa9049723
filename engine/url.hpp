// Request-target helpers: splitting, percent-decoding, UTF-8 validation, query parsing.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cello::engine {

// Decodes %XX escapes into `out` (replacing its contents). With `plus_as_space`, '+' becomes ' '
// (form and query encoding). False on a truncated or non-hex escape.
bool percent_decode(std::string_view in, std::string& out, bool plus_as_space = false);

bool valid_utf8(std::string_view s) noexcept;

// Splits "name=value&..." into decoded pairs, in order. False on bad percent-encoding or
// invalid UTF-8; `out` then holds the pairs decoded so far.
bool parse_query(std::string_view query, std::vector<std::pair<std::string, std::string>>& out);

}  // namespace cello::engine
