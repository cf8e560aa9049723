// HTTP-dates: the Date header value (formatted once per second by each engine thread), and the
// dates of conditional requests (If-Modified-Since, If-Range).
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace cello::engine {

// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(std::time_t t);

// IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients must accept (RFC 9110 5.6.7).
// Seconds since the epoch, or nullopt when the text is not a valid HTTP-date.
std::optional<std::int64_t> parse_http_date(std::string_view text) noexcept;

}  // namespace cello::engine
