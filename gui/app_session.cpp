#include "app_session.hpp"

#include "py_inspector.hpp"

#include <pybind11/pybind11.h>

#include <stdexcept>

namespace cello::studio {

namespace pyb = pybind11;

struct AppSession::Python {
    pyb::object session;
    ~Python() {
        pyb::gil_scoped_acquire gil;
        session = pyb::object();
    }
};

AppSession::AppSession() = default;

AppSession::~AppSession() { stop(); }

int AppSession::start(const std::string& app_file, const RunSettings& s) {
    stop();
    pyb::gil_scoped_acquire gil;
    try {
        pyb::object session = pyb::module_::import("cello.studio")
                                  .attr("Session")(app_file, s.host, s.port, s.workers, s.env, s.watch);
        int port = 0;
        {
            // Startup hooks and the bind run here; engine threads start and want the GIL.
            port = session.attr("start")().cast<int>();
        }
        inspector_ = session.attr("inspector").cast<py::PyInspector&>().native();
        py_ = std::make_unique<Python>();
        py_->session = std::move(session);
        return port;
    } catch (pyb::error_already_set& e) {
        std::string text = e.what();
        try {
            pyb::object lines = pyb::module_::import("traceback").attr("format_exception")(e.type(), e.value(), e.trace());
            text = pyb::str("").attr("join")(lines).cast<std::string>();
        } catch (...) {
        }
        throw std::runtime_error(text);
    }
}

namespace {
void stop_session(pyb::object& session) {
    pyb::gil_scoped_acquire gil;
    try {
        session.attr("stop")();
    } catch (pyb::error_already_set& e) {
        PySys_WriteStderr("cello-studio: stopping the app failed: %s\n", e.what());
    }
}
}  // namespace

void AppSession::stop() {
    if (stopper_.joinable()) stopper_.join();  // the caller must not hold the GIL: the stopper needs it
    if (!py_) return;
    stop_session(py_->session);
    py_.reset();
    inspector_.reset();
}

void AppSession::stop_async(std::function<void()> done) {
    if (stopper_.joinable()) stopper_.join();
    if (!py_) {
        if (done) done();
        return;
    }
    inspector_.reset();
    stopping_ = true;
    stopper_ = std::thread([this, py = std::move(py_), done = std::move(done)]() mutable {
        stop_session(py->session);
        py.reset();  // takes the GIL itself
        stopping_ = false;
        if (done) done();
    });
}

}  // namespace cello::studio
