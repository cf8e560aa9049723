#include "py_request_trace.hpp"

#include <pybind11/stl.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace cello::py {

namespace {

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The Python object: the engine's trace while the handler runs (moved out by end_trace).
class PyRequestTrace {
public:
    explicit PyRequestTrace(engine::TraceLevel level)
        : trace_(std::make_unique<engine::RequestTrace>(level)), started_ns_(steady_ns()) {}

    // A statement that ran `duration_ns` and ended now; `rows` -1 when it failed with `error`.
    void query(std::string_view sql, std::int64_t duration_ns, std::int64_t rows, std::optional<std::string> error) {
        if (!trace_) return;
        const std::int64_t start = steady_ns() - started_ns_ - duration_ns;
        trace_->add_query(sql, start < 0 ? 0 : start, duration_ns, rows, error ? *error : std::string());
    }

    void log(int level, std::string_view logger, std::string_view message) {
        if (trace_) trace_->add_log(steady_ns() - started_ns_, level, logger, message);
    }

    bool records() const noexcept { return trace_ && trace_->level() == engine::TraceLevel::Records; }
    std::unique_ptr<engine::RequestTrace> take() noexcept { return std::move(trace_); }

private:
    std::unique_ptr<engine::RequestTrace> trace_;
    std::int64_t started_ns_;
};

PyObject* g_trace_var = nullptr;  // the context variable (the module keeps it alive)

}  // namespace

void define_request_trace(pyb::module_& m) {
    pyb::class_<PyRequestTrace>(m, "RequestTrace",
                                "What the running request did besides answering, for the inspector.")
        .def("query", &PyRequestTrace::query, pyb::arg("sql"), pyb::arg("duration_ns"), pyb::arg("rows"),
             pyb::arg("error") = pyb::none(), "Records one statement (its text, never its parameters).")
        .def("log", &PyRequestTrace::log, pyb::arg("level"), pyb::arg("logger"), pyb::arg("message"),
             "Records one log line.")
        .def_property_readonly("records", &PyRequestTrace::records,
                               "Whether texts are kept (detail capture), not only counts.");
    g_trace_var = PyContextVar_New("cello_request_trace", Py_None);
    if (!g_trace_var) throw pyb::error_already_set();
    m.attr("request_trace") = pyb::reinterpret_steal<pyb::object>(g_trace_var);
}

pyb::object begin_trace(const engine::Request& req) {
    if (req.trace == engine::TraceLevel::Off || !g_trace_var) return {};
    try {
        pyb::object trace = pyb::cast(PyRequestTrace(req.trace), pyb::return_value_policy::move);
        PyObject* token = PyContextVar_Set(g_trace_var, trace.ptr());
        if (!token) throw pyb::error_already_set();
        Py_DECREF(token);
        return trace;
    } catch (pyb::error_already_set& e) {  // the request is served all the same, untraced
        PyErr_Clear();
        return {};
    }
}

void end_trace(pyb::object& trace, engine::Response& res) {
    if (!trace) return;
    res.trace = trace.cast<PyRequestTrace&>().take();
    trace = pyb::object();
}

}  // namespace cello::py
