// One app served inside the studio: a `cello.studio.Session` driven from C++, and the inspector
// its server reports to. Plain C++ (no Qt): the window owns one and calls it from the GUI thread.
#pragma once

#include "inspector/inspector.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace cello::studio {

struct RunSettings {
    std::string host = "127.0.0.1";
    int port = 8000;
    int workers = 1;
    std::string env = "development";
    bool watch = true;  // reload on save
};

class AppSession {
public:
    AppSession();
    ~AppSession();  // stops
    AppSession(const AppSession&) = delete;
    AppSession& operator=(const AppSession&) = delete;

    // Imports and serves `app_file`; returns the bound port. Throws std::runtime_error with the
    // Python traceback when the app cannot be loaded or served (nothing keeps running then).
    int start(const std::string& app_file, const RunSettings& settings);
    void stop();  // waits for a stop_async still under way too
    // Stops on a thread of its own: the drain waits for handlers still running (up to 30 s), and
    // the window must not wait with it. `done` runs on that thread once the app has stopped.
    void stop_async(std::function<void()> done);
    bool running() const noexcept { return static_cast<bool>(inspector_); }
    bool stopping() const noexcept { return stopping_.load(); }
    const std::shared_ptr<inspector::Inspector>& inspector() const noexcept { return inspector_; }

private:
    struct Python;  // the Session object, kept out of this header
    std::unique_ptr<Python> py_;
    std::shared_ptr<inspector::Inspector> inspector_;
    std::thread stopper_;
    std::atomic<bool> stopping_{false};
};

}  // namespace cello::studio
