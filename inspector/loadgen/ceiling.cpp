#include "inspector/loadgen/ceiling.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

namespace cello::inspector::loadgen {

namespace {

LoadResult run_step(const LoadConfig& base, double rate, const std::stop_token& stop) {
    LoadConfig config = base;
    config.rate = rate;
    LoadGenerator gen(config);
    gen.start();
    while (!gen.finished()) {
        if (stop.stop_requested()) gen.stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    gen.wait();
    return gen.result();
}

CeilingStep describe(std::string phase, double rate, const LoadResult& r, const CeilingConfig& config) {
    CeilingStep s;
    s.phase = std::move(phase);
    s.target_rate = rate;
    s.achieved_rate = r.requests_per_sec();
    s.p50_ns = r.totals.latency.percentile(50);
    s.p99_ns = r.totals.latency.percentile(99);
    s.requests = r.totals.requests;
    s.errors = r.totals.errors.total();
    s.why_not = rate > 0 ? unsustainable_reason(r, config) : std::string("the closed-loop probe");
    s.sustainable = s.why_not.empty();
    return s;
}

}  // namespace

bool sustainable(const LoadResult& r, const CeilingConfig& config) { return unsustainable_reason(r, config).empty(); }

std::string unsustainable_reason(const LoadResult& r, const CeilingConfig& config) {
    const auto& t = r.totals;
    if (r.config.rate <= 0) return "not an open-loop step";
    if (t.requests == 0) return "no answer";
    char why[160];
    // Requests due in the last max_p99 of a step may still be in flight when it ends (and are not
    // counted): a server that keeps up within max_p99 must not fail for them on a short step.
    const double step_s = std::max(r.elapsed_s, 1e-9);
    const double in_flight_s = std::min(step_s, std::chrono::duration<double>(config.max_p99).count());
    const double expected = r.config.rate * (step_s - in_flight_s) / step_s;
    if (r.requests_per_sec() < config.min_achieved * expected) {
        std::snprintf(why, sizeof why, "achieved %.0f of %.0f req/s (under %.0f %%)", r.requests_per_sec(), expected,
                      config.min_achieved * 100);
        return why;
    }
    const auto p99 = t.latency.percentile(99);
    if (p99 > std::chrono::duration_cast<std::chrono::nanoseconds>(config.max_p99).count()) {
        std::snprintf(why, sizeof why, "p99 %.1f ms > %.1f ms", static_cast<double>(p99) / 1e6,
                      std::chrono::duration<double, std::milli>(config.max_p99).count());
        return why;
    }
    const double failed = static_cast<double>(t.errors.socket() + t.errors.status_5xx);
    const double answered = static_cast<double>(t.requests + t.errors.socket());
    if (failed > config.max_error_ratio * answered) {
        std::snprintf(why, sizeof why, "%.1f %% failed (> %.1f %%)", 100 * failed / answered, config.max_error_ratio * 100);
        return why;
    }
    return {};
}

CeilingResult find_ceiling(const LoadConfig& base, const CeilingConfig& config,
                           const std::function<void(const CeilingStep&)>& on_step, std::stop_token stop) {
    CeilingResult out;
    auto step = [&](std::string phase, double rate) {
        LoadResult r = run_step(base, rate, stop);
        out.steps.push_back(describe(std::move(phase), rate, r, config));
        if (on_step) on_step(out.steps.back());
        out.stopped = stop.stop_requested();
        return r;
    };

    out.probe_rate = step("probe", 0).requests_per_sec();
    if (out.stopped || out.probe_rate <= 0) return out;

    double good = 0, bad = 0;
    for (double f = config.start_fraction; f <= config.max_fraction + 1e-9; f += config.step_fraction) {
        const double rate = out.probe_rate * f;
        step("ramp", rate);
        if (out.stopped) return out;
        if (!out.steps.back().sustainable) {
            bad = rate;
            break;
        }
        good = rate;
    }
    out.hit_search_limit = bad == 0;
    for (unsigned i = 0; bad > 0 && i < config.refine_steps; ++i) {
        const double mid = (good + bad) / 2;
        step("refine", mid);
        if (out.stopped) return out;
        (out.steps.back().sustainable ? good : bad) = mid;
    }
    out.ceiling_rate = good;
    if (good <= 0) return out;

    for (const double fraction : {0.5, 0.75, 0.9}) {
        const auto label = std::to_string(static_cast<int>(fraction * 100)) + "%";
        LoadResult r = step(label, good * fraction);
        if (out.stopped) return out;
        out.below.push_back({fraction, std::move(r)});
    }
    return out;
}

}  // namespace cello::inspector::loadgen
