// Calendar time from a time_t, in UTC or in the machine's zone: gmtime_r/localtime_r on POSIX,
// gmtime_s/localtime_s on Windows (civil_time_posix.cpp, civil_time_windows.cpp).
#pragma once

#include <ctime>

namespace cello::engine::platform {

std::tm utc_time(std::time_t t) noexcept;

struct LocalTime {
    std::tm tm{};
    long utc_offset_seconds = 0;  // east of UTC (what strftime's %z prints, which Windows' does not)
};

LocalTime local_time(std::time_t t) noexcept;

}  // namespace cello::engine::platform
