// The Python `Request`: a thin view over the engine's request. Members become Python objects
// only when the handler asks for them, and are cached for the rest of the request.
#pragma once

#include "engine/http_types.hpp"

#include <pybind11/pybind11.h>

#include <memory>
#include <utility>
#include <string>
#include <vector>

namespace cello::py {

namespace pyb = pybind11;

class PyRequest {
public:
    PyRequest() = default;

    // Points the object at a new engine request, dropping everything cached from the last one.
    void attach(const engine::Request* view, pyb::handle app);
    // Called when the handler kept a reference past its return: copy what the view points at,
    // since the engine reuses that storage for the next request.
    void detach();

    // The engine request this object reads (its own copy once detached); null between requests.
    const engine::Request* view() const { return view_; }
    std::string_view method() const { return view_->method; }
    std::string_view path() const { return view_->path; }
    std::string_view raw_path() const { return view_->raw_path; }
    pyb::object query_string() const;  // str; HTTPError(400) when not UTF-8
    pyb::object params();
    pyb::object query();
    pyb::object headers();
    pyb::object cookies();
    pyb::object client() const;
    pyb::object tls() const;
    pyb::object body();
    pyb::object text();
    pyb::object json();
    pyb::object form();
    // The body when it is still arriving (cello.RequestBodyStream), else None.
    pyb::object body_stream() const { return body_stream_ ? body_stream_ : pyb::none(); }
    // body_async() read a streamed body: body(), text(), json() use it from now on.
    void set_body(pyb::bytes body) { body_ = std::move(body); }
    pyb::object state();
    pyb::object app() const { return app_ ? app_ : pyb::none(); }
    pyb::object id() const {
        if (view_->id.empty()) return pyb::none();
        return pyb::str(view_->id.data(), view_->id.size());
    }
    std::string repr() const;
    // Callables to run once the response is out (BackgroundTasks, dependency teardown): taken by
    // the handler's caller as it hands the response to the engine.
    void after_response(pyb::object fn);
    pyb::object take_after() { return std::exchange(after_, pyb::object()); }

    static void define(pyb::module_& m);
    // A request made in Python, for unit tests: Request(method, path, params=, query=, headers=,
    // body=) as the original product spells it. It owns its data (as a detached one does).
    static PyRequest standalone(const std::string& method, const std::string& target, const pyb::object& params,
                                const pyb::object& query, const pyb::object& headers, const pyb::object& body);

private:
    struct Owned;  // detached copy of the request
    const engine::Request* view_ = nullptr;
    std::shared_ptr<Owned> owned_;
    pyb::object app_;
    std::string_view body_view();  // the body's bytes (read whole first when it streams)

    pyb::object params_, query_, headers_, cookies_, body_, text_, json_, form_, state_, after_, body_stream_;
};

}  // namespace cello::py
