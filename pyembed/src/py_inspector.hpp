// The Python face of the inspector (`--inspect`): wraps inspector::Inspector and its HTTP API.
#pragma once

#include "inspector/inspect_api.hpp"
#include "inspector/inspector.hpp"

#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

namespace cello::py {

namespace pyb = pybind11;

class PyInspector {
public:
    PyInspector(unsigned workers, std::vector<std::string> redact);
    // Cluster mode, in the supervisor: drains every worker's rings in the cluster's shared memory.
    explicit PyInspector(inspector::InspectorConfig config);
    ~PyInspector();

    const std::shared_ptr<inspector::Inspector>& native() const noexcept { return inspector_; }
    // Starts the HTTP API; returns the bound port. Raises OSError naming the address on failure.
    std::uint16_t serve(const std::string& host, int port, const std::string& token);
    void stop();
    std::string token() const { return api_ ? api_->token() : std::string(); }
    // `action()` runs a reload and returns (ok, message); called from the API's thread.
    void set_reload_action(pyb::object action);
    void clear_reload_action();
    void record_reload(bool ok, double duration_ms, std::size_t routes, const std::string& error);

    static void define(pyb::module_& m);

private:
    std::shared_ptr<inspector::Inspector> inspector_;
    std::unique_ptr<inspector::InspectApi> api_;
    std::shared_ptr<pyb::object> reload_action_;  // freed with the GIL held
};

}  // namespace cello::py
