#include "py_inspector.hpp"

#include "engine/cluster/cluster_link.hpp"
#include "py_server.hpp"

#include <pybind11/stl.h>

#include <system_error>

namespace cello::py {

PyInspector::PyInspector(unsigned workers, std::vector<std::string> redact) {
    inspector::InspectorConfig config;
    config.threads = workers ? workers : 1;
    config.redact_names = std::move(redact);
    inspector_ = std::make_shared<inspector::Inspector>(config);
    inspector_->start();
}

PyInspector::PyInspector(inspector::InspectorConfig config)
    : inspector_(std::make_shared<inspector::Inspector>(std::move(config))) {
    inspector_->start();
}

PyInspector::~PyInspector() {
    pyb::gil_scoped_release release;  // the API thread may be waiting for the GIL in a reload
    api_.reset();
    inspector_->set_reload_action(nullptr);
    inspector_->stop();
}

std::uint16_t PyInspector::serve(const std::string& host, int port, const std::string& token) {
    if (port < 0 || port > 65535) throw pyb::value_error("inspector port must be between 0 and 65535");
    if (api_) throw pyb::value_error("the inspector API is already being served");
    inspector::InspectApiOptions o;
    o.host = host;
    o.port = static_cast<std::uint16_t>(port);
    o.token = token;
    auto api = std::make_unique<inspector::InspectApi>(inspector_, o);
    try {
        api->start();
    } catch (const std::system_error& e) {
        PyErr_SetObject(PyExc_OSError, pyb::make_tuple(e.code().value(), e.what()).ptr());
        throw pyb::error_already_set();
    }
    api_ = std::move(api);
    return api_->port();
}

void PyInspector::stop() {
    pyb::gil_scoped_release release;
    if (api_) api_->stop();
}

void PyInspector::set_reload_action(pyb::object action) {
    // Shared with the native action; its last owner drops it with the GIL.
    reload_action_ = std::shared_ptr<pyb::object>(new pyb::object(std::move(action)), [](pyb::object* o) {
        pyb::gil_scoped_acquire gil;
        delete o;
    });
    std::weak_ptr<pyb::object> weak = reload_action_;
    inspector_->set_reload_action([weak](std::string& message) {
        auto fn = weak.lock();
        if (!fn) {
            message = "the app has stopped";
            return false;
        }
        pyb::gil_scoped_acquire gil;
        try {
            auto result = (*fn)().cast<std::pair<bool, std::string>>();
            message = std::move(result.second);
            return result.first;
        } catch (const std::exception& e) {
            message = e.what();
            return false;
        }
    });
}

void PyInspector::clear_reload_action() {
    inspector_->set_reload_action(nullptr);
    reload_action_.reset();  // frees the Python callable (and what it holds: the server, the app)
}

void PyInspector::record_reload(bool ok, double duration_ms, std::size_t routes, const std::string& error) {
    inspector_->record_reload(ok, duration_ms, routes, error);
}

void PyInspector::define(pyb::module_& m) {
    pyb::class_<PyInspector>(m, "Inspector", "Request telemetry and its HTTP API (--inspect).")
        .def(pyb::init<unsigned, std::vector<std::string>>(), pyb::arg("workers") = 1,
             pyb::arg("redact") = std::vector<std::string>{},
             "`redact`: header (and query parameter) names whose values the inspector shows as "
             "'<redacted, N bytes>', on top of the built-in rule (docs/inspector.md).")
        .def_property_readonly(
            "redacted_names", [](const PyInspector& self) { return self.native()->telemetry()->redaction().extra_names(); },
            "The extra names given, lowercased.")
        .def("serve", &PyInspector::serve, pyb::arg("host"), pyb::arg("port"), pyb::arg("token") = "")
        .def("stop", &PyInspector::stop)
        .def("set_capture", [](PyInspector& self, bool on) { self.native()->set_capture(on); }, pyb::arg("on"),
             "Record every request's headers and body preview (a development aid; costs the engine).")
        .def_property_readonly("token", &PyInspector::token)
        .def("set_reload_action", &PyInspector::set_reload_action, pyb::arg("action"))
        .def("clear_reload_action", &PyInspector::clear_reload_action,
             "Drops the reload callable: it refers to the server, which refers to this inspector.")
        .def("record_reload", &PyInspector::record_reload, pyb::arg("ok"), pyb::arg("duration_ms"),
             pyb::arg("routes"), pyb::arg("error") = "")
        // Cluster mode (the supervisor): the whole server's inspector.
        .def_static(
            "for_cluster",
            [](const engine::cluster::ClusterLink& link, std::vector<std::string> redact) {
                inspector::InspectorConfig config;
                config.redact_names = redact;
                config.telemetry = link.telemetry(engine::Redaction(redact));
                if (!config.telemetry) throw pyb::value_error("the cluster's shared memory has no event rings");
                config.threads = config.telemetry->threads();
                config.cluster = true;
                return std::make_unique<PyInspector>(std::move(config));
            },
            pyb::arg("link"), pyb::arg("redact") = std::vector<std::string>{},
            "An inspector fed by every worker of the cluster `link` (the supervisor's) belongs to.")
        .def(
            "set_routes",
            [](PyInspector& self, const PyRouteTable& routes, std::shared_ptr<engine::ResponseCache> cache) {
                self.native()->set_routes(*routes.snapshot());
                self.native()->set_cache(std::move(cache));
            },
            pyb::arg("routes"), pyb::arg("cache"),
            "The route table served (cluster mode: the supervisor's copy of the app's) and the cache "
            "the inspector reports and invalidates.")
        .def(
            "set_server",
            [](PyInspector& self, std::string host, std::uint16_t port) { self.native()->set_server(std::move(host), port); },
            pyb::arg("host"), pyb::arg("port"), "Where the app answers (cluster mode: the supervisor's socket).")
        .def(
            "set_workers",
            [](PyInspector& self, const std::vector<pyb::dict>& rows) {
                std::vector<inspector::WorkerRow> workers;
                for (const auto& d : rows) {
                    inspector::WorkerRow w;
                    w.slot = d["slot"].cast<unsigned>();
                    w.pid = d["pid"].cast<int>();
                    w.state = d["state"].cast<std::string>();
                    w.requests = d["requests"].cast<std::uint64_t>();
                    w.rss_bytes = d["rss_bytes"].cast<std::uint64_t>();
                    w.restarts = d["restarts"].cast<unsigned>();
                    w.started_ns = static_cast<std::int64_t>(d["started"].cast<double>() * 1e9);
                    if (d.contains("websockets")) w.websockets = d["websockets"].cast<std::uint64_t>();
                    if (d.contains("websocket_messages")) w.websocket_messages = d["websocket_messages"].cast<std::uint64_t>();
                    workers.push_back(std::move(w));
                }
                self.native()->set_workers(std::move(workers));
            },
            pyb::arg("workers"),
            "Cluster mode: the worker processes (dicts: slot, pid, state, requests, rss_bytes, "
            "restarts, started, and optionally websockets, websocket_messages), shown in every snapshot.");
}

}  // namespace cello::py
