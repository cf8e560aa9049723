#include "py_health.hpp"

#include "engine/health/health_state.hpp"

#include <memory>
#include <string>

namespace cello::py {

void define_health(pyb::module_& m) {
    using engine::HealthState;
    pyb::class_<HealthState, std::shared_ptr<HealthState>>(
        m, "HealthState", "What the health probes answer from (engine/health/health_state.hpp), by name per process.")
        .def(pyb::init([](const std::string& name) { return HealthState::named(name); }), pyb::arg("name"))
        .def("set_started", &HealthState::set_started, pyb::arg("started"))
        .def("set_draining", &HealthState::set_draining, pyb::arg("draining"))
        .def("report", &HealthState::report, pyb::arg("check"), pyb::arg("ok"), pyb::arg("message") = "",
             pyb::call_guard<pyb::gil_scoped_release>())
        .def("view", [](const HealthState& s) {
            const auto v = s.view();
            pyb::dict checks;
            for (const auto& c : v.checks) checks[pyb::str(c.name)] = pyb::dict(pyb::arg("ok") = c.ok, pyb::arg("message") = c.message);
            return pyb::dict(pyb::arg("started") = v.started, pyb::arg("draining") = v.draining,
                             pyb::arg("ready") = v.ready(), pyb::arg("checks") = checks);
        });
}

}  // namespace cello::py
