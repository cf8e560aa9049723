#include "py_request_body.hpp"

#include "bindings.hpp"

#include <string>

namespace cello::py {

pyb::object PyRequestBody::take() {
    std::string chunk;
    switch (body_->take(chunk)) {
        case engine::RequestBody::State::Data:
            taken_ = true;
            return pyb::bytes(chunk.data(), chunk.size());
        case engine::RequestBody::State::Waiting: return pyb::bytes();
        case engine::RequestBody::State::End: return pyb::none();
        case engine::RequestBody::State::Failed: break;
    }
    raise_http_error(body_->error_status(), std::string(body_->error_detail()));
}

void PyRequestBody::wait(pyb::object future) {
    // Held by the engine until it is called; released with the GIL (the engine thread may drop it
    // without holding it, e.g. when a connection goes).
    auto held = std::shared_ptr<PyObject>(future.release().ptr(), [](PyObject* p) {
        if (!Py_IsInitialized()) return;
        pyb::gil_scoped_acquire gil;
        Py_DECREF(p);
    });
    body_->wait([held] {
        pyb::gil_scoped_acquire gil;
        pyb::handle f(held.get());
        try {
            if (!f.attr("done")().cast<bool>()) f.attr("set_result")(pyb::none());
        } catch (pyb::error_already_set& e) {
            e.discard_as_unraisable("cello: waking a request body's reader");
        }
    });
}

pyb::object PyRequestBody::length() const {
    const auto n = body_->length();
    return n ? pyb::object(pyb::int_(*n)) : pyb::object(pyb::none());
}

void PyRequestBody::define(pyb::module_& m) {
    // dynamic_attr: cello._request_body keeps the body read whole on it (`whole`).
    pyb::class_<PyRequestBody>(m, "RequestBodyStream", pyb::dynamic_attr(),
                               "A request body that is still arriving (native side).")
        .def("take", &PyRequestBody::take,
             "bytes that arrived (b\"\" when none yet), None at the end; HTTPError when it cannot be had.")
        .def("wait", &PyRequestBody::wait, pyb::arg("future"), "Sets future's result once take() has news.")
        .def_property_readonly("length", &PyRequestBody::length, "Content-Length, or None when chunked.")
        .def_property_readonly("received", &PyRequestBody::received, "Bytes received so far.")
        .def_property_readonly("complete", &PyRequestBody::complete, "Whether all of it has arrived.")
        .def_property_readonly("taken", &PyRequestBody::taken, "Whether some of it was taken.")
        .def_property_readonly("loop", &PyRequestBody::loop, "The engine thread's event loop.");
}

}  // namespace cello::py
