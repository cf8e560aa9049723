#include "engine/middleware.hpp"

namespace cello::engine {

std::string_view cache_outcome_name(CacheOutcome c) noexcept {
    switch (c) {
        case CacheOutcome::Hit: return "HIT";
        case CacheOutcome::Miss: return "MISS";
        case CacheOutcome::Bypass: return "BYPASS";
        case CacheOutcome::None: break;
    }
    return "-";
}

}  // namespace cello::engine
