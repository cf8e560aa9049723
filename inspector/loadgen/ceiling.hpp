// "Find the ceiling": the highest open-loop rate the server sustains, and the latency below it.
//
// 1. Probe: one closed-loop step measures the throughput X the connections reach flat out.
// 2. Ramp: open-loop steps at start_fraction * X, then + step_fraction * X each, up to
//    max_fraction * X, until a step is not sustainable.
// 3. Refine: `refine_steps` bisections between the last sustainable and the first failed rate.
// 4. The ceiling C is the highest sustainable rate found; then one step each at 50 %, 75 % and
//    90 % of C gives the latency a user sees below saturation.
//
// A step is sustainable when all of these hold (see sustainable()):
//   achieved rate >= min_achieved * target, the target discounted by the requests due in the
//   step's last max_p99 (they may legitimately still be in flight when it ends),
//   p99 latency (corrected) <= max_p99, and
//   (socket errors + 5xx) <= max_error_ratio * (requests + socket errors).
#pragma once

#include "inspector/loadgen/load_config.hpp"
#include "inspector/loadgen/load_generator.hpp"

#include <functional>
#include <stop_token>
#include <string>
#include <vector>

namespace cello::inspector::loadgen {

struct CeilingConfig {
    double start_fraction = 0.5;
    double step_fraction = 0.1;
    double max_fraction = 1.5;
    unsigned refine_steps = 2;
    double min_achieved = 0.95;
    Duration max_p99 = std::chrono::milliseconds(100);
    double max_error_ratio = 0.01;
};

struct CeilingStep {
    std::string phase;   // "probe", "ramp", "refine", "50%", "75%", "90%"
    double target_rate = 0;  // 0 for the closed-loop probe
    double achieved_rate = 0;
    std::int64_t p50_ns = 0;
    std::int64_t p99_ns = 0;
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    bool sustainable = false;
    std::string why_not;  // not sustainable: which rule it broke ("p99 130.2 ms > 100 ms"); "" otherwise
};

// A step at a fraction of the ceiling, with its full result (histogram included).
struct CeilingPoint {
    double fraction = 0;
    LoadResult result;
};

struct CeilingResult {
    double probe_rate = 0;    // closed-loop throughput X
    double ceiling_rate = 0;  // 0 when not even the lowest step was sustainable
    bool hit_search_limit = false;  // every ramp step up to max_fraction * X held: the ceiling is at least this
    bool stopped = false;
    std::vector<CeilingStep> steps;
    std::vector<CeilingPoint> below;  // at 50 %, 75 %, 90 % of the ceiling
};

bool sustainable(const LoadResult& step, const CeilingConfig& config);
// Which rule a step breaks, in a few words; "" when it is sustainable.
std::string unsustainable_reason(const LoadResult& step, const CeilingConfig& config);

// Runs the search with `base` (its duration is each step's duration; its rate is ignored).
// on_step is called after each step, on the calling thread. A stop request ends the current
// step early and the search with it. Throws what LoadGenerator::start throws.
CeilingResult find_ceiling(const LoadConfig& base, const CeilingConfig& config,
                           const std::function<void(const CeilingStep&)>& on_step = {}, std::stop_token stop = {});

}  // namespace cello::inspector::loadgen
