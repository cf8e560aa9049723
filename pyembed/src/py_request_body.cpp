#include "py_request_body.hpp"

#include "bindings.hpp"
#include "py_future.hpp"

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
    body_->wait([slot = FutureSlot(std::move(future))] { slot.resolve([] { return pyb::none(); }); });
}

pyb::object PyRequestBody::length() const {
    const auto n = body_->length();
    return n ? pyb::object(pyb::int_(*n)) : pyb::object(pyb::none());
}

void PyRequestBody::define(pyb::module_& m) {
    // dynamic_attr: cello._request_body keeps on it who reads it (`consumer`), and the body read
    // whole (`whole`) or the form parsed from it (`form`).
    pyb::class_<PyRequestBody>(m, "RequestBodyStream", pyb::dynamic_attr(),
                               "A request body that is still arriving (native side).")
        .def_readwrite("consumer", &PyRequestBody::consumer, "Who reads it as it arrives (set by cello).")
        .def("take", &PyRequestBody::take,
             "bytes that arrived (b\"\" when none yet), None at the end; HTTPError when it cannot be had.")
        .def("wait", &PyRequestBody::wait, pyb::arg("future"), "Sets future's result once take() has news.")
        .def_property_readonly("length", &PyRequestBody::length, "Content-Length, or None when chunked.")
        .def_property_readonly("received", &PyRequestBody::received, "Bytes received so far.")
        .def_property_readonly("complete", &PyRequestBody::complete, "Whether all of it has arrived.")
        .def_property_readonly(
            "error",
            [](const PyRequestBody& b) -> pyb::object {
                if (!b.failed_status()) return pyb::none();
                return pyb::make_tuple(b.failed_status(), b.failed_detail());
            },
            "(status, detail) once it cannot be had (413, 408, 400, 499), else None.")
        .def_property_readonly("taken", &PyRequestBody::taken, "Whether some of it was taken.")
        .def_property_readonly("loop", &PyRequestBody::loop, "The engine thread's event loop.");
}

}  // namespace cello::py
