// engine::Handler implemented by a Python callable: call it under the GIL, convert what it
// returns (dict/list -> native JSON, str, bytes, None, Response, tuples), map exceptions.
#pragma once

#include "engine/handler.hpp"

#include <pybind11/pybind11.h>

#include <memory>
#include <string>

namespace cello::py {

namespace pyb = pybind11;

// What every handler of one served app shares.
struct AppContext {
    pyb::object app;     // request.app
    bool debug = true;   // tracebacks in 500 bodies (development)
};

class PyHandler final : public engine::Handler {
public:
    PyHandler(pyb::object fn, std::shared_ptr<const AppContext> ctx, std::string name);
    ~PyHandler() override;

    void handle(const engine::Request& req, engine::Response& res) override;

private:
    // An async def handler's coroutine: first step here, the rest on the asyncio thread.
    // `trace`: the request's (or null); the suspended task takes it along.
    void run_coroutine(PyObject* coro, PyObject* context, PyObject* request, const engine::Request& req,
                       engine::Response& res, pyb::object& trace);

    pyb::object fn_;
    std::shared_ptr<const AppContext> ctx_;
    std::string name_;
    pyb::object task_name_;  // name_ as a str: the name of its asyncio Tasks
};

// Fills `res` from a handler's return value (GIL held). Public for the unit tests.
void convert_result(PyObject* result, engine::Response& res);
// Where an exception happened, for its response and its log line.
struct ErrorContext {
    std::string_view method, target, handler;
    bool debug = true;
    PyObject* request = nullptr;  // the Python Request (for app.exception_handler), may be null
    PyObject* app = nullptr;
};

// Fills `res` from the pending Python exception and clears it (GIL held): the app's
// exception_handler if one matches, else HTTPError's status, else a logged 500.
void convert_exception(engine::Response& res, const ErrorContext& where);
// Calls fn(request) for an engine request, outside a handler (e.g. a cache key function). GIL held;
// throws pybind11::error_already_set.
pyb::object call_with_request(const pyb::object& fn, const engine::Request& req);
// Frees the engine thread's cached Request object; call with the GIL before the thread ends.
void release_thread_request();

}  // namespace cello::py
