#include "inspector/loadgen/open_loop_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace cello::inspector::loadgen {

std::uint64_t OpenLoopSchedule::due_by(unsigned index, std::chrono::nanoseconds offset) const noexcept {
    if (offset < due(index, 0)) return 0;
    // Estimate from the formula, then correct the float rounding by stepping to the exact edge.
    const double slots = static_cast<double>(offset.count()) * rate_ / 1e9;
    auto k = static_cast<std::uint64_t>(std::max(0.0, std::floor((slots - index) / connections_)));
    while (k > 0 && due(index, k) > offset) --k;
    while (due(index, k + 1) <= offset) ++k;
    return k + 1;
}

}  // namespace cello::inspector::loadgen
