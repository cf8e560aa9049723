#include "py_handler.hpp"

#include "bindings.hpp"
#include "engine/json_escape.hpp"
#include "engine/pending_response.hpp"
#include "engine/response_rules.hpp"
#include "engine/status.hpp"
#include "engine_thread_state.hpp"
#include "gil_once.hpp"
#include "json_writer.hpp"
#include "py_file_response.hpp"
#include "py_loop.hpp"
#include "py_request.hpp"
#include "py_request_trace.hpp"

#include <cstdio>
#include <mutex>

namespace cello::py {

namespace {

// The engine thread's Request object, reused while no handler keeps a reference to it.
thread_local PyObject* t_request = nullptr;
thread_local PyRequest* t_request_native = nullptr;
// Request objects that awaiting handlers kept and gave back (recycle_request): reused before a
// new one is made, which costs more than the request it serves.
struct IdleRequest {
    PyObject* object;  // strong
    PyRequest* native;
};
thread_local std::vector<IdleRequest> t_idle_requests;
constexpr std::size_t kIdleRequests = 64;

PyObject* acquire_request(const engine::Request& req, pyb::handle app) {
    if (!t_request && !t_idle_requests.empty()) {
        t_request = t_idle_requests.back().object;
        t_request_native = t_idle_requests.back().native;
        t_idle_requests.pop_back();
    }
    if (!t_request) {
        pyb::object obj = pyb::cast(PyRequest(), pyb::return_value_policy::move);
        t_request_native = obj.cast<PyRequest*>();
        t_request = obj.release().ptr();
    }
    t_request_native->attach(&req, app);
    return t_request;
}

// After the call: keep the object for the next request if nobody else holds it. `detach` false:
// its handler awaits, and the suspended exchange keeps the engine's request intact meanwhile, so
// the copy waits until it is needed (recycle_request, or the connection closing: run_coroutine).
void settle_request(bool detach = true) {
    if (Py_REFCNT(t_request) > 1) {
        if (detach) t_request_native->detach();
        Py_DECREF(t_request);
        t_request = nullptr;
        t_request_native = nullptr;
    } else {
        t_request_native->attach(nullptr, pyb::none());  // drop cached objects now
    }
}

// The request object of an awaiting handler that is done, while its exchange is still suspended
// (the engine's request intact): if nobody else holds it, it goes back to the idle list, emptied;
// else it gets its own copy of the request now, before the connection moves on.
void recycle_request(pyb::object& request, PyRequest* native) {
    if (Py_REFCNT(request.ptr()) == 1 && t_idle_requests.size() < kIdleRequests) {
        native->attach(nullptr, pyb::none());
        t_idle_requests.push_back({request.release().ptr(), native});
    } else if (Py_REFCNT(request.ptr()) > 1) {
        native->detach();
    }
    request = pyb::object();
}

// The callables a handler left for after its response (PyRequest::after_response): called, with
// the GIL, when the engine drops the answer's AfterResponse (written, or the connection lost).
class PyAfterResponse final : public engine::AfterResponse {
public:
    explicit PyAfterResponse(pyb::object callbacks) : callbacks_(std::move(callbacks)) {}
    PyAfterResponse(const PyAfterResponse&) = delete;
    PyAfterResponse& operator=(const PyAfterResponse&) = delete;
    ~PyAfterResponse() override {
        if (!Py_IsInitialized()) {  // the interpreter is gone: nothing left to run them with
            (void)callbacks_.release();
            return;
        }
        pyb::gil_scoped_acquire gil;
        pyb::object reporter = pyb::none();
        if (report) reporter = pyb::cpp_function([r = report](std::string message, std::string traceback) {
            pyb::gil_scoped_release release;
            r(std::move(message), std::move(traceback));
        });
        for (pyb::handle fn : callbacks_.cast<pyb::list>()) {
            PyObject* done = PyObject_CallOneArg(fn.ptr(), reporter.ptr());
            if (!done) {
                std::fprintf(stderr, "cello: work after a response failed:\n");
                PyErr_Print();
            }
            Py_XDECREF(done);
        }
        callbacks_ = pyb::object();
    }

private:
    pyb::object callbacks_;
};

// The request's after-response work, if any, goes with its answer.
void attach_after(PyRequest* native, engine::Response& res) {
    if (!native) return;
    if (pyb::object after = native->take_after()) res.after = std::make_unique<PyAfterResponse>(std::move(after));
}

std::string_view utf8_of(PyObject* s) {
    Py_ssize_t n = 0;
    const char* c = PyUnicode_AsUTF8AndSize(s, &n);
    if (!c) throw pyb::error_already_set();
    return {c, static_cast<std::size_t>(n)};
}

void set_body_from(PyObject* body, engine::Response& res);

// Appends one streamed item (bytes-like or str) to `out`; TypeError for anything else.
void append_chunk_bytes(PyObject* item, std::string& out) {
    if (PyBytes_Check(item)) {
        out.append(PyBytes_AS_STRING(item), static_cast<std::size_t>(PyBytes_GET_SIZE(item)));
    } else if (PyUnicode_Check(item)) {
        out.append(utf8_of(item));
    } else if (PyByteArray_Check(item) || PyMemoryView_Check(item)) {
        Py_buffer view;
        if (PyObject_GetBuffer(item, &view, PyBUF_CONTIG_RO) < 0) throw pyb::error_already_set();
        out.append(static_cast<const char*>(view.buf), static_cast<std::size_t>(view.len));
        PyBuffer_Release(&view);
    } else {
        throw pyb::type_error(std::string("a streamed response yielded ") + Py_TYPE(item)->tp_name +
                              "; expected bytes or str");
    }
}

// A Python iterator as the engine's BodySource. Runs on the engine thread that owns the connection.
class IteratorSource final : public engine::BodySource {
public:
    IteratorSource(pyb::object iterator, std::string first) : it_(std::move(iterator)), first_(std::move(first)) {}

    ~IteratorSource() override {
        pyb::gil_scoped_acquire gil;  // the engine thread, sometimes with the GIL already held
        // Closing a generator raises GeneratorExit inside it: its finally blocks run now.
        if (PyObject_HasAttrString(it_.ptr(), "close")) {
            PyObject* r = PyObject_CallMethod(it_.ptr(), "close", nullptr);
            if (!r) PyErr_Print();
            Py_XDECREF(r);
        }
        it_ = pyb::object();
    }

    bool next(std::string& chunk) override {
        chunk.clear();
        if (!first_.empty()) {
            chunk.swap(first_);
            return true;
        }
        EngineGil gil;
        PyObject* item = PyIter_Next(it_.ptr());
        if (!item) {
            if (!PyErr_Occurred()) return false;
            std::fprintf(stderr, "cello: exception in a streamed response (the connection is closed):\n");
            PyErr_Print();
            throw std::runtime_error("stream failed");
        }
        pyb::object hold = pyb::reinterpret_steal<pyb::object>(item);
        try {
            append_chunk_bytes(item, chunk);
        } catch (pyb::error_already_set& e) {
            std::fprintf(stderr, "cello: %s\n", e.what());
            throw std::runtime_error("stream failed");
        } catch (const std::exception& e) {
            std::fprintf(stderr, "cello: %s\n", e.what());
            throw;
        }
        return true;
    }

private:
    pyb::object it_;
    std::string first_;  // pulled before the headers, so early failures still become a 500
};

// An async iterable as the engine's BodySource: cello._async_stream.AsyncStream runs it on the
// engine thread's loop and buffers its items; pull() takes them, or answers Later and is woken
// through `ready` when the loop has more.
class AsyncIteratorSource final : public engine::BodySource {
public:
    explicit AsyncIteratorSource(pyb::handle aiterable) : wake_(std::make_shared<Wake>()) {
        static std::atomic<PyObject* const*> slot{nullptr};
        static std::mutex mutex;
        PyObject* const stream_type = gil_once(slot, mutex, [] {
            return pyb::object(pyb::module_::import("cello._async_stream").attr("AsyncStream")).release().ptr();
        });
        std::weak_ptr<Wake> wake = wake_;
        pyb::cpp_function notify([wake] {
            if (auto w = wake.lock()) w->signal();
        });
        stream_ = pyb::reinterpret_borrow<pyb::object>(stream_type)(aiterable, notify);
    }

    ~AsyncIteratorSource() override {
        pyb::gil_scoped_acquire gil;  // the engine thread, sometimes with the GIL already held
        if (PyObject* r = PyObject_CallMethod(stream_.ptr(), "close", nullptr)) Py_DECREF(r);
        else PyErr_Print();
        stream_ = pyb::object();
    }

    bool next(std::string&) override { throw std::logic_error("an async source is pulled, not iterated"); }

    Pull pull(std::string& chunk, const std::function<void()>& ready) override {
        chunk.clear();
        while (true) {
            {
                EngineGil gil;
                pyb::tuple taken = stream_.attr("take")();
                pyb::list items = taken[0];
                for (pyb::handle item : items) append_chunk_bytes(item.ptr(), chunk);
                if (!taken[2].is_none()) {
                    pyb::object error = taken[2];
                    std::fprintf(stderr, "cello: exception in a streamed response (the connection is closed): %s\n",
                                 pyb::repr(error).cast<std::string>().c_str());
                    throw std::runtime_error("stream failed");
                }
                if (!chunk.empty() || items.size() > 0) return Pull::Chunk;
                if (taken[1].cast<bool>()) return Pull::End;
            }
            if (wake_->arm(ready)) return Pull::Later;  // else: items arrived meanwhile, take again
        }
    }

private:
    // The hand-off between the producer's notify() and the connection's ready callback, so that a
    // notification between take() and arm() is never lost.
    struct Wake {
        std::mutex mutex;
        std::function<void()> ready;
        bool signalled = false;

        void signal() {
            std::function<void()> r;
            {
                std::lock_guard lock(mutex);
                if (!ready) {
                    signalled = true;
                    return;
                }
                r.swap(ready);
            }
            r();
        }
        bool arm(const std::function<void()>& r) {  // false: a signal came first
            std::lock_guard lock(mutex);
            if (signalled) {
                signalled = false;
                return false;
            }
            ready = r;
            return true;
        }
    };

    std::shared_ptr<Wake> wake_;
    pyb::object stream_;
};

bool is_async_iterable(PyObject* o) { return PyObject_HasAttrString(o, "__aiter__"); }

// Sets up a streamed body from an iterable. The first item is pulled now: an exception before the
// first yield is an ordinary 500, and a str or bytes first item picks the default content type.
void stream_from(PyObject* iterable, engine::Response& res, bool set_content_type) {
    if (is_async_iterable(iterable)) {
        if (set_content_type) res.content_type = "text/plain; charset=utf-8";
        res.body.clear();
        res.stream = std::make_unique<AsyncIteratorSource>(pyb::handle(iterable));
        return;
    }
    pyb::object it = pyb::reinterpret_steal<pyb::object>(PyObject_GetIter(iterable));
    if (!it) throw pyb::error_already_set();
    pyb::object first = pyb::reinterpret_steal<pyb::object>(PyIter_Next(it.ptr()));
    if (!first && PyErr_Occurred()) throw pyb::error_already_set();
    std::string first_bytes;
    if (first) append_chunk_bytes(first.ptr(), first_bytes);
    if (set_content_type)
        res.content_type = first && PyUnicode_Check(first.ptr()) ? "text/plain; charset=utf-8" : "application/octet-stream";
    res.body.clear();
    if (!first) {  // nothing to stream: an empty body with a length
        if (PyObject_HasAttrString(it.ptr(), "close")) it.attr("close")();
        return;
    }
    res.stream = std::make_unique<IteratorSource>(std::move(it), std::move(first_bytes));
}

void json_body(PyObject* value, engine::Response& res) {
    std::string error;
    res.body.clear();
    if (!write_json(value, res.body, error)) {
        std::fprintf(stderr, "cello: cannot serialize the handler's return value to JSON: %s\n", error.c_str());
        engine::make_error(res, 500, "response is not JSON serializable: " + error);
        return;
    }
    res.content_type = "application/json";
}

// Names and values are checked once the whole response is built (engine/response_rules.hpp).
void add_header(engine::Response& res, PyObject* name, PyObject* value) {
    if (!PyUnicode_Check(name) || !PyUnicode_Check(value))
        throw pyb::type_error("response header names and values must be str");
    const std::string_view n = utf8_of(name), v = utf8_of(value);
    if (engine::iequals(n, "content-type")) res.content_type = std::string(v);
    else res.headers.emplace_back(std::string(n), std::string(v));
}

// headers: a dict, a list of pairs, or an object with .items() (our Headers).
// Attribute names read from every Response, interned once: pybind11's obj.attr("name") makes a new
// str each time (about a thousand instructions per response for the six of them).
struct ResponseNames {
    PyObject* status = PyUnicode_InternFromString("status");
    PyObject* body = PyUnicode_InternFromString("body");
    PyObject* content_type = PyUnicode_InternFromString("content_type");
    PyObject* headers = PyUnicode_InternFromString("_headers");  // (None until a handler sets one)
    PyObject* stream_iter = PyUnicode_InternFromString("stream_iter");
    PyObject* file_path = PyUnicode_InternFromString("file_path");
    PyObject* items = PyUnicode_InternFromString("items");
    PyObject* header_items = PyUnicode_InternFromString("_items");
};

const ResponseNames& names() {
    static const ResponseNames n;  // (the GIL is held, and interning never releases it)
    return n;
}

pyb::object attribute(PyObject* o, PyObject* name) {
    PyObject* v = PyObject_GetAttr(o, name);
    if (!v) throw pyb::error_already_set();
    return pyb::reinterpret_steal<pyb::object>(v);
}

void add_headers(engine::Response& res, PyObject* headers) {
    if (headers == Py_None) return;
    pyb::object items = pyb::reinterpret_borrow<pyb::object>(headers);
    if (Py_TYPE(headers) == reinterpret_cast<PyTypeObject*>(bindings().headers_type.ptr())) {
        items = attribute(headers, names().header_items);  // our Headers: its list of pairs, no copy
        if (PyList_Check(items.ptr()) && PyList_GET_SIZE(items.ptr()) == 0) return;
    } else if (PyObject_HasAttr(headers, names().items)) {
        items = attribute(headers, names().items)();
    }
    for (pyb::handle pair : items) {
        pyb::tuple t = pyb::reinterpret_borrow<pyb::object>(pair);
        if (t.size() != 2) throw pyb::value_error("headers must be (name, value) pairs");
        add_header(res, t[0].ptr(), t[1].ptr());
    }
}

void from_response_object(PyObject* r, engine::Response& res) {
    const ResponseNames& n = names();
    pyb::object status = attribute(r, n.status);
    res.status = status.cast<int>();
    pyb::object body = attribute(r, n.body);
    if (!PyBytes_Check(body.ptr())) throw pyb::type_error("Response.body must be bytes");
    res.body.assign(PyBytes_AS_STRING(body.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(body.ptr())));
    pyb::object ct = attribute(r, n.content_type);
    if (!ct.is_none()) {
        res.content_type = std::string(utf8_of(ct.ptr()));
    }
    add_headers(res, attribute(r, n.headers).ptr());
    pyb::object iterable = attribute(r, n.stream_iter);
    if (!iterable.is_none()) stream_from(iterable.ptr(), res, ct.is_none());
    // Response.file: the request (for HEAD, conditionals, Range) is the one this thread is answering.
    if (!attribute(r, n.file_path).is_none())
        respond_with_python_file(pyb::handle(r), t_request_native ? t_request_native->view() : nullptr, res);
}

void set_body_from(PyObject* body, engine::Response& res) {
    if (PyDict_Check(body) || PyList_Check(body)) {
        json_body(body, res);
    } else if (PyUnicode_Check(body)) {
        res.body.assign(utf8_of(body));
        res.content_type = "text/plain; charset=utf-8";
    } else if (PyBytes_Check(body)) {
        res.body.assign(PyBytes_AS_STRING(body), static_cast<std::size_t>(PyBytes_GET_SIZE(body)));
        res.content_type = "application/octet-stream";
    } else if (PyByteArray_Check(body) || PyMemoryView_Check(body)) {
        Py_buffer view;
        if (PyObject_GetBuffer(body, &view, PyBUF_CONTIG_RO) < 0) throw pyb::error_already_set();
        res.body.assign(static_cast<const char*>(view.buf), static_cast<std::size_t>(view.len));
        PyBuffer_Release(&view);
        res.content_type = "application/octet-stream";
    } else if (body == Py_None) {
        res.status = 204;
        res.body.clear();
    } else {
        json_body(body, res);  // dataclasses, datetimes... or a 500 naming the type
    }
}

void convert_unchecked(PyObject* result, engine::Response& res) {
    if (PyDict_CheckExact(result) || PyList_CheckExact(result)) return json_body(result, res);
    if (PyObject_IsInstance(result, bindings().response_type.ptr()) > 0) return from_response_object(result, res);
    if (PyTuple_CheckExact(result)) {
        const Py_ssize_t n = PyTuple_GET_SIZE(result);
        if (n != 2 && n != 3) throw pyb::type_error("a tuple return must be (body, status) or (body, status, headers)");
        PyObject* status = PyTuple_GET_ITEM(result, 1);
        if (!PyLong_Check(status)) throw pyb::type_error("the status in a returned tuple must be an int");
        const long code = PyLong_AsLong(status);
        if (code < 100 || code > 999) throw pyb::value_error("status code out of range: " + std::to_string(code));
        set_body_from(PyTuple_GET_ITEM(result, 0), res);
        if (res.status != 500 || code == 500) res.status = static_cast<int>(code);  // keep a serialization 500
        if (engine::status_forbids_body(res.status)) res.body.clear();
        if (n == 3) add_headers(res, PyTuple_GET_ITEM(result, 2));
        return;
    }
    if (PyGen_Check(result) || (PyIter_Check(result) && !PyUnicode_Check(result) && !PyBytes_Check(result))) {
        return stream_from(result, res, true);  // a generator or other iterator: chunked streaming
    }
    if (PyAsyncGen_CheckExact(result)) return stream_from(result, res, true);
    set_body_from(result, res);
}

// A response the engine must not send (a framing header, a control character, status 999) becomes
// a ValueError in the handler: a 500 that names the cause, logged and shown in the inspector.
[[noreturn]] void refuse_response(const std::string& why) {
    PyErr_SetString(PyExc_ValueError, ("cello cannot send this response: " + why).c_str());
    throw pyb::error_already_set();
}

// The handler of a request whose body is still arriving (cello._request_body.start_handler):
// an async one as usual, a sync one as a coroutine that runs it in the loop's executor.
PyObject* start_streaming_handler(PyObject* fn, PyObject* request) {
    PyObject* module = PyImport_ImportModule("cello._request_body");  // imported once: then a lookup
    if (!module) return nullptr;
    PyObject* result = PyObject_CallMethod(module, "start_handler", "OO", fn, request);
    Py_DECREF(module);
    return result;
}

}  // namespace

void convert_result(PyObject* result, engine::Response& res) {
    convert_unchecked(result, res);
    if (std::string why = engine::handler_response_problem(res); !why.empty()) refuse_response(why);
}

namespace {

// app.exception_handler: true when one of the app's handlers produced the response.
bool app_exception_response(engine::Response& res, const ErrorContext& where, pyb::error_already_set& err) {
    if (!where.app || !where.request || where.app == Py_None) return false;
    pyb::handle app(where.app);
    if (!pyb::hasattr(app, "_exception_response") || !app.attr("_has_exception_handlers").cast<bool>()) return false;
    pyb::object sentinel = pyb::getattr(app, "_NO_HANDLER", pyb::reinterpret_borrow<pyb::object>(Py_NotImplemented));
    pyb::object result = app.attr("_exception_response")(pyb::handle(where.request), err.value());
    if (result.is(sentinel)) return false;
    convert_result(result.ptr(), res);
    return true;
}

}  // namespace

namespace {

// HTTPError's common error shape. False, with a ValueError pending, when it cannot be sent as is.
bool http_error_response(engine::Response& res, pyb::object e) {
    const int status = e.attr("status").cast<int>();
    pyb::object detail = e.attr("detail");
    std::string detail_json, error;
    if (detail.is_none() || !write_json(detail.ptr(), detail_json, error)) detail_json = "null";
    res.status = status;
    res.content_type = "application/json";
    res.body = "{\"error\":";
    engine::append_json_string(res.body, engine::reason_phrase(status));
    res.body += ",\"status\":" + std::to_string(status) + ",\"detail\":" + detail_json + "}";
    try {
        add_headers(res, e.attr("headers").ptr());
    } catch (const pyb::error_already_set&) {
    } catch (const std::exception&) {
    }
    if (std::string why = engine::handler_response_problem(res); !why.empty()) {
        res.clear();
        PyErr_SetString(PyExc_ValueError, ("cello cannot send this HTTPError: " + why).c_str());
        return false;
    }
    return true;
}

}  // namespace

void convert_exception(engine::Response& res, const ErrorContext& where) {
    pyb::error_already_set err;  // fetches and clears the pending exception
    res.clear();
    try {
        if (app_exception_response(res, where, err)) return;
    } catch (pyb::error_already_set& failed) {
        res.clear();
        std::fprintf(stderr, "cello: the exception handler for %.*s failed:\n%s\n",
                     static_cast<int>(where.handler.size()), where.handler.data(), failed.what());
        err = std::move(failed);  // report the handler's own failure below
    } catch (const std::exception& bad) {  // e.g. it returned a malformed tuple
        res.clear();
        std::fprintf(stderr, "cello: the exception handler for %.*s returned an unusable value: %s\n",
                     static_cast<int>(where.handler.size()), where.handler.data(), bad.what());
    }
    const std::string_view handler = where.handler;
    const bool debug = where.debug;
    if (err.matches(bindings().http_error)) {
        if (http_error_response(res, err.value())) return;
        err = pyb::error_already_set();  // the ValueError saying why the HTTPError could not be sent
    }
    std::string trace;
    try {
        pyb::object lines = bindings().format_exc(err.type(), err.value(), err.trace());
        trace = pyb::str("").attr("join")(lines).cast<std::string>();
    } catch (...) {
        trace = err.what();
    }
    std::fprintf(stderr, "cello: unhandled exception in %.*s for %.*s %.*s\n%s", static_cast<int>(handler.size()),
                 handler.data(), static_cast<int>(where.method.size()), where.method.data(),
                 static_cast<int>(where.target.size()), where.target.data(), trace.c_str());
    engine::make_error(res, 500);
    std::string summary;
    try {
        summary = pyb::str(err.type().attr("__name__")).cast<std::string>();
        const std::string message = pyb::str(err.value()).cast<std::string>();
        if (!message.empty()) summary += ": " + message;
    } catch (...) {
        summary = err.what();
    }
    res.error = std::make_unique<engine::HandlerError>(engine::HandlerError{summary, trace});
    if (debug) {
        res.body.pop_back();  // reopen the object to add the traceback
        res.body.resize(res.body.size() - 4);  // drop "null" detail
        engine::append_json_string(res.body, summary);
        res.body += ",\"traceback\":";
        engine::append_json_string(res.body, trace);
        res.body += '}';
    }
}

PyHandler::PyHandler(pyb::object fn, std::shared_ptr<const AppContext> ctx, std::string name)
    : fn_(std::move(fn)), ctx_(std::move(ctx)), name_(std::move(name)), task_name_(pyb::str(name_)) {}

PyHandler::~PyHandler() {
    if (!Py_IsInitialized()) {
        fn_.release();  // the interpreter is gone; nothing left to free it with
        task_name_.release();
        return;
    }
    pyb::gil_scoped_acquire gil;
    fn_ = pyb::object();
    task_name_ = pyb::object();
    ctx_.reset();
}

void PyHandler::handle(const engine::Request& req, engine::Response& res) {
    EngineGil gil;
    PyObject* request = acquire_request(req, ctx_->app);
    // Every request runs in a context of its own: a ContextVar one handler sets is not seen by the
    // next request on this thread. (A copy of the thread's context: cheap, it shares the mapping.)
    PyObject* context = PyContext_CopyCurrent();
    PyObject* result = nullptr;
    pyb::object trace;  // an inspector is attached: the handler's queries and log lines
    if (context && PyContext_Enter(context) == 0) {
        const engine::TraceLevel level = trace_level(req);
        {
            SyncTraceScope sync(level);  // a sync handler's queries, made during the call
            // A body still arriving: a sync handler runs in a thread, where reading it blocks.
            result = req.body_stream ? start_streaming_handler(fn_.ptr(), request)
                                     : PyObject_CallOneArg(fn_.ptr(), request);
            trace = sync.close();
        }
        // An async def has only made its coroutine: its Task finds its trace in its context.
        if (level != engine::TraceLevel::Off && result && PyCoro_CheckExact(result)) trace = begin_async_trace(level);
        if (PyContext_Exit(context) != 0) Py_CLEAR(result);
    }
    const ErrorContext where{req.method, req.target, name_, ctx_->debug, request, ctx_->app.ptr()};
    try {
        if (!result) {
            convert_exception(res, where);
        } else if (PyCoro_CheckExact(result)) {
            run_coroutine(result, context, request, req, res, trace);
            Py_DECREF(result);
            if (res.pending) {  // suspended: the request's copy is made only if it is needed
                Py_XDECREF(context);
                settle_request(false);
                return;
            }
        } else {
            try {
                convert_result(result, res);
            } catch (pyb::error_already_set& e) {
                e.restore();
                convert_exception(res, where);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "cello: bad return value from %s: %s\n", name_.c_str(), e.what());
                engine::make_error(res, 500, ctx_->debug ? e.what() : std::string_view{});
            }
            Py_DECREF(result);
        }
        attach_after(t_request_native, res);
        end_trace(trace, res);
    } catch (...) {
        Py_XDECREF(context);
        settle_request();
        throw;
    }
    Py_XDECREF(context);
    settle_request();
}

namespace {

// Converts a finished handler Task's outcome into `res`: its result, or its exception as the
// error response (a cancelled task: CancelledError, a 500 like any other uncaught exception).
void convert_task_outcome(PyObject* task, engine::Response& res, const ErrorContext& where) {
    PyObject* value = PyObject_CallMethodNoArgs(task, task_methods().result);
    if (!value) return convert_exception(res, where);
    pyb::object result = pyb::reinterpret_steal<pyb::object>(value);
    try {
        convert_result(result.ptr(), res);
    } catch (pyb::error_already_set& e) {
        e.restore();
        convert_exception(res, where);
    }
}

// A handler's Task that suspended, in one allocation: the answer the connection waits for
// (PendingResponse), and the done callback's target, which converts the Task's outcome on the engine
// thread's loop and completes it (the connection waits on the same thread).
class SuspendedTask final : public engine::PendingResponse, public DoneTarget {
public:
    SuspendedTask(pyb::object task, std::shared_ptr<const AppContext> ctx, const std::string& handler,
                  const engine::Request& req, pyb::object request, PyRequest* native, pyb::object trace)
        : task_(std::move(task)), ctx_(std::move(ctx)), handler_(handler), method_(req.method),
          target_(req.target), request_(std::move(request)), native_(native), trace_(std::move(trace)) {}
    SuspendedTask(const SuspendedTask&) = delete;
    SuspendedTask& operator=(const SuspendedTask&) = delete;

    // Normally the done callback has dropped both Python references (with the GIL); else the
    // connection's last reference drops them here, on the engine thread, without it.
    ~SuspendedTask() override {
        if (!task_ && !request_ && !trace_) return;
        if (!Py_IsInitialized()) {  // the interpreter is gone: nothing to free them with
            (void)task_.release();
            (void)request_.release();
            (void)trace_.release();
            return;
        }
        pyb::gil_scoped_acquire gil;
        task_ = pyb::object();
        request_ = pyb::object();
        trace_ = pyb::object();
    }

    // The client went away (called by cancel(), as the connection closes, while the engine's request
    // is still there): CancelledError inside the handler. The handler gets its own copy of the
    // request first, as it may read it in an `except CancelledError` or `finally` after that.
    void cancel_task() {
        EngineGil gil;
        if (!task_) return;  // done meanwhile (and the request object recycled or copied)
        native_->detach();
        PyObject* r = PyObject_CallMethodNoArgs(task_.ptr(), task_methods().cancel);
        if (!r) {
            std::fprintf(stderr, "cello: cancelling a handler's task failed:\n");
            PyErr_Print();
        }
        Py_XDECREF(r);
    }

    // No done callback will come (it could not be added): drop the references now, with the GIL.
    void abandon() {
        task_ = pyb::object();
        request_ = pyb::object();
        trace_ = pyb::object();
    }

    void on_done(PyObject* task) override {
        // The task is done: nothing will cancel it now.
        task_ = pyb::object();
        // Cancelled because the client went away: nobody to answer. (A handler that cancelled
        // itself gets its CancelledError answered like any other exception: a 500.)
        if (cancelled()) {
            PyObject* was_cancelled = PyObject_CallMethodNoArgs(task, task_methods().cancelled);
            Py_XDECREF(was_cancelled);
            PyErr_Clear();
            if (was_cancelled == Py_True) {
                trace_ = pyb::object();
                if (pyb::object after = native_->take_after()) PyAfterResponse{std::move(after)};  // teardown runs now
                return recycle_request(request_, native_);
            }
        }
        engine::Response res;
        // Conversion looks at the request (Response.file: Range, conditionals). The handler kept
        // its Request object, so the engine detached a copy that stays valid.
        PyRequest* const saved = t_request_native;
        t_request_native = native_;
        struct Restore {
            PyRequest* saved;
            ~Restore() { t_request_native = saved; }
        } restore{saved};
        try {
            const ErrorContext where{method_, target_, handler_, ctx_->debug, request_.ptr(), ctx_->app.ptr()};
            convert_task_outcome(task, res, where);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "cello: async handler %s: %s\n", handler_.c_str(), e.what());
            res.clear();
            engine::make_error(res, 500);
        }
        attach_after(native_, res);
        end_trace(trace_, res);
        complete(std::move(res));
        recycle_request(request_, native_);
    }

private:
    pyb::object task_;  // until done: for a cancel
    std::shared_ptr<const AppContext> ctx_;
    std::string handler_, method_, target_;
    pyb::object request_;  // until done
    PyRequest* native_;    // request_'s (valid while it lives); still reading the engine's request
    pyb::object trace_;    // until done, when an inspector is attached
};

bool task_done(PyObject* task) {
    PyObject* done = PyObject_CallMethodNoArgs(task, task_methods().done);
    const bool yes = done == Py_True;
    Py_XDECREF(done);
    PyErr_Clear();
    return yes;
}

}  // namespace

void PyHandler::run_coroutine(PyObject* coro, PyObject* context, PyObject* request, const engine::Request& req,
                              engine::Response& res, pyb::object& trace) {
    const ErrorContext where{req.method, req.target, name_, ctx_->debug, request, ctx_->app.ptr()};
    // A Task from the first line (current_task(), asyncio.timeout, TaskGroup work), whose first step
    // runs now: a coroutine that never awaits is done when start_task returns.
    pyb::object task = pyb::reinterpret_steal<pyb::object>(start_task(coro, context, task_name_.ptr()));
    if (!task) return convert_exception(res, where);
    if (task_done(task.ptr())) return convert_task_outcome(task.ptr(), res, where);
    // Suspended: the loop resumes it; the connection waits for the done callback.
    auto suspended = std::make_shared<SuspendedTask>(task, ctx_, name_, req,
                                                     pyb::reinterpret_borrow<pyb::object>(request), t_request_native,
                                                     std::move(trace));
    PyObject* callback = make_done_callback(suspended);
    PyObject* added = callback ? PyObject_CallMethodOneArg(task.ptr(), task_methods().add_done_callback, callback) : nullptr;
    Py_XDECREF(callback);
    if (!added) {  // nobody would ever hear of this task: stop it, answer with the error
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        Py_XDECREF(PyObject_CallMethodNoArgs(task.ptr(), task_methods().cancel));
        PyErr_Clear();
        PyErr_Restore(type, value, traceback);
        convert_exception(res, where);
        suspended->abandon();
        return;
    }
    Py_DECREF(added);
    // Called by cancel(), which the connection calls holding the PendingResponse: `this` is alive.
    suspended->on_cancel([s = suspended.get()] { s->cancel_task(); });
    res.pending = std::move(suspended);
}

pyb::object call_with_request(const pyb::object& fn, const engine::Request& req) {
    PyObject* request = acquire_request(req, pyb::none());
    PyObject* result = PyObject_CallOneArg(fn.ptr(), request);
    settle_request();
    if (!result) throw pyb::error_already_set();
    return pyb::reinterpret_steal<pyb::object>(result);
}

void release_thread_request() {
    Py_CLEAR(t_request);
    t_request_native = nullptr;
    for (IdleRequest& idle : t_idle_requests) Py_DECREF(idle.object);
    t_idle_requests.clear();
}

}  // namespace cello::py
