// The Date header value, formatted once per second by each engine thread.
#pragma once

#include <ctime>
#include <string>

namespace cello::engine {

// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(std::time_t t);

}  // namespace cello::engine
