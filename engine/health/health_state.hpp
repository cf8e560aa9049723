// What a server's health probes answer from (app.enable_health_checks): whether the app has
// started, whether it is draining, and the latest outcome of each registered check. The checks
// themselves run elsewhere (cello/health.py, on a schedule): a probe only reads this, so answering
// one costs no Python and never waits on a database.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cello::engine {

class HealthState {
public:
    struct Check {
        std::string name;
        bool ok = false;
        std::string message;  // why it failed ("" when ok)
        std::chrono::steady_clock::time_point at{};
    };
    struct View {
        bool started = false, draining = false;
        std::vector<Check> checks;
        bool ready() const;  // started, not draining, every check ok
    };

    // The process's state of this name (made on first use): the app and its middleware, which a
    // reload rebuilds, find the same one.
    static std::shared_ptr<HealthState> named(const std::string& name);

    void set_started(bool started);
    void set_draining(bool draining);
    void report(const std::string& check, bool ok, std::string message);
    View view() const;

private:
    mutable std::mutex mutex_;
    View view_;
};

}  // namespace cello::engine
