// The inspector: attached to a server, it drains the engine's telemetry rings on its own thread
// (every 10 ms) into bounded aggregates, and answers snapshots. No Python, no Qt.
//
// Thread-safety: every public member may be called from any thread.
#pragma once

#include "engine/cache/response_cache.hpp"
#include "engine/route_table.hpp"
#include "engine/telemetry/telemetry.hpp"
#include "inspector/snapshot.hpp"

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace cello::inspector {

struct InspectorConfig {
    unsigned threads = 1;             // engine threads of the server it will watch
    std::size_t ring_capacity = engine::Telemetry::kDefaultRingCapacity;
    std::uint32_t max_routes = 256;   // distinct route labels with their own stats
    std::size_t recent_requests = 1000;
    std::size_t recent_errors = 256;    // one drain's worth of the telemetry's queue
    std::size_t recent_reloads = 50;
    unsigned series_seconds = 300;
    std::vector<std::string> redact_names{};  // header names redacted on top of the built-in rule
    // Cluster mode: the supervisor's inspector drains the workers' rings (given here, in shared
    // memory) and maps every event through the newest route table: each worker's tables have
    // their own generations, but the same app gives the same route ids.
    std::shared_ptr<engine::Telemetry> telemetry{};
    bool cluster = false;
};

class Inspector {
public:
    explicit Inspector(InspectorConfig config = {});
    ~Inspector();  // stops the drain thread
    Inspector(const Inspector&) = delete;
    Inspector& operator=(const Inspector&) = delete;

    // Give this to the server (ServerOptions::telemetry) before it starts.
    const std::shared_ptr<engine::Telemetry>& telemetry() const noexcept { return telemetry_; }

    // The table being served (call at start and after each reload swap). Routes keep their
    // stats across reloads when their label ("METHOD pattern") stays.
    void set_routes(const engine::RouteTable& table);
    void set_cache(std::shared_ptr<engine::ResponseCache> cache);
    void record_reload(bool ok, double duration_ms, std::size_t routes, std::string error);

    // Actions the API offers; set by whoever runs the app (pyembed).
    using ReloadAction = std::function<bool(std::string& message)>;
    void set_reload_action(ReloadAction action);
    bool reload(std::string& message);                     // false (with why) when none is set
    std::size_t invalidate_tags(const std::vector<std::string>& tags);  // entries dropped

    // Detail capture: headers and body previews of every request (a development aid; off by default
    // because it costs the engine a lock and some copies per request).
    void set_capture(bool on) noexcept { telemetry_->set_capture(on); }
    bool capturing() const noexcept { return telemetry_->capturing(); }
    bool cluster() const noexcept { return config_.cluster; }

    void start();      // the drain thread; idempotent
    void stop();
    void drain_now();  // drains on the caller's thread (tests, and before a final snapshot)

    Snapshot snapshot(const SnapshotQuery& q = {}) const;

    // Cluster mode: the worker processes as the supervisor sees them (shown in every snapshot).
    void set_workers(std::vector<WorkerRow> workers);
    // Where the app answers, once its socket is bound (shown in every snapshot: a client attached
    // to the API learns where to send requests).
    void set_server(std::string host, std::uint16_t port);

private:
    void drain_locked();
    std::uint32_t slot_for(const std::string& label);  // kUnmatchedRoute when out of slots
    struct State;
    WebSocketListing websocket_listing(const State& st, std::size_t max_open) const;

    InspectorConfig config_;
    std::shared_ptr<engine::Telemetry> telemetry_;
    std::int64_t started_ns_ = 0;

    mutable std::mutex mutex_;  // guards everything below
    std::unique_ptr<State> state_;
    ReloadAction reload_action_;
    std::shared_ptr<engine::ResponseCache> cache_;

    std::mutex run_mutex_;
    std::condition_variable run_cv_;
    bool running_ = false;
    std::thread thread_;
};

}  // namespace cello::inspector
