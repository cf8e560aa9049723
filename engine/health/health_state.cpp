#include "engine/health/health_state.hpp"

#include <algorithm>
#include <map>

namespace cello::engine {

bool HealthState::View::ready() const {
    return started && !draining && std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.ok; });
}

std::shared_ptr<HealthState> HealthState::named(const std::string& name) {
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<HealthState>> states;  // a few per process, kept
    std::lock_guard lock(mutex);
    auto& s = states[name];
    if (!s) s = std::make_shared<HealthState>();
    return s;
}

void HealthState::set_started(bool started) {
    std::lock_guard lock(mutex_);
    view_.started = started;
}

void HealthState::set_draining(bool draining) {
    std::lock_guard lock(mutex_);
    view_.draining = draining;
}

void HealthState::report(const std::string& check, bool ok, std::string message) {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(view_.checks.begin(), view_.checks.end(), [&](const Check& c) { return c.name == check; });
    if (it == view_.checks.end()) it = view_.checks.insert(view_.checks.end(), Check{check, ok, {}, {}});
    it->ok = ok;
    it->message = ok ? std::string() : std::move(message);
    it->at = std::chrono::steady_clock::now();
}

HealthState::View HealthState::view() const {
    std::lock_guard lock(mutex_);
    return view_;
}

}  // namespace cello::engine
