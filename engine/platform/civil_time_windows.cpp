#include "engine/platform/civil_time.hpp"

namespace cello::engine::platform {

std::tm utc_time(std::time_t t) noexcept {
    std::tm tm{};
    gmtime_s(&tm, &t);
    return tm;
}

LocalTime local_time(std::time_t t) noexcept {
    LocalTime out;
    localtime_s(&out.tm, &t);
    std::tm as_utc = out.tm;  // the local wall clock read as if it were UTC, minus the instant
    out.utc_offset_seconds = static_cast<long>(_mkgmtime(&as_utc) - t);
    return out;
}

}  // namespace cello::engine::platform
