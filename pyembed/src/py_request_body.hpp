// `request._body_stream`: the Python side of a body that is still arriving (engine/request_body.hpp).
// Only the engine thread that owns the connection calls it; cello/_request_body.py builds
// request.stream(), body_async() and the reads of sync handlers (which run in a thread) on it.
#pragma once

#include "engine/request_body.hpp"

#include <pybind11/pybind11.h>

#include <memory>

namespace cello::py {

namespace pyb = pybind11;

class PyRequestBody {
public:
    PyRequestBody(std::shared_ptr<engine::RequestBody> body, pyb::object loop)
        : body_(std::move(body)), loop_(std::move(loop)) {}

    // bytes (not empty) when some arrived, b"" when nothing has yet, None at the end; HTTPError
    // when the body cannot be had (413 over the limit, 408 timed out, 400 malformed...).
    pyb::object take();
    // `future` gets the result None (unless it is done already) once take() has news.
    void wait(pyb::object future);
    pyb::object length() const;
    std::uint64_t received() const { return body_->received(); }
    bool complete() const { return body_->complete(); }
    int failed_status() const { return body_->error_status(); }
    std::string failed_detail() const { return std::string(body_->error_detail()); }
    pyb::object consumer = pyb::none();  // set by cello._request_body (who reads the body)
    bool taken() const { return taken_; }
    const pyb::object& loop() const { return loop_; }

    static void define(pyb::module_& m);

private:
    std::shared_ptr<engine::RequestBody> body_;
    pyb::object loop_;     // the engine thread's event loop (where take() and wait() may be called)
    bool taken_ = false;   // some of the body went to the handler
};

}  // namespace cello::py
