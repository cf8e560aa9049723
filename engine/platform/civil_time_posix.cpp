#include "engine/platform/civil_time.hpp"

namespace cello::engine::platform {

std::tm utc_time(std::time_t t) noexcept {
    std::tm tm{};
    gmtime_r(&t, &tm);
    return tm;
}

LocalTime local_time(std::time_t t) noexcept {
    LocalTime out;
    localtime_r(&t, &out.tm);
    out.utc_offset_seconds = out.tm.tm_gmtoff;
    return out;
}

}  // namespace cello::engine::platform
