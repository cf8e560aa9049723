#include "py_websocket.hpp"

#include "engine/status.hpp"
#include "engine_thread_state.hpp"
#include "py_future.hpp"
#include "py_request.hpp"

#include <cstdio>

namespace cello::py {

namespace {

// _cello.WebSocketChannel: the session's channel for cello.websocket (engine thread only). Each
// call takes an asyncio future that the session completes.
class PyWebSocketChannel {
public:
    explicit PyWebSocketChannel(std::shared_ptr<engine::WebSocketChannel> channel) : ch_(std::move(channel)) {}

    void accept(const pyb::object& subprotocol, pyb::object future) {
        ch_->accept(subprotocol.is_none() ? std::string() : subprotocol.cast<std::string>(),
                    [slot = FutureSlot(std::move(future))](bool ok) { slot.resolve([ok] { return pyb::bool_(ok); }); });
    }

    void refuse(int status) { ch_->refuse(status); }

    // The result: a str for a text message, bytes for a binary one, (code, reason) at the end.
    void receive(pyb::object future) {
        ch_->receive([slot = FutureSlot(std::move(future))](engine::WebSocketMessage* m, int code, std::string_view reason) {
            if (!m) {
                const std::string why(reason);
                return slot.resolve([code, why] { return pyb::object(pyb::make_tuple(code, pyb::str(why))); });
            }
            // False when the receiver went away (a cancelled wait): the message stays for the next.
            return slot.resolve([m] { return message_object(*m); });
        });
    }

    // The next message if one has arrived (as receive() gives it), else None: no waiting.
    pyb::object try_receive() {
        engine::WebSocketMessage m;
        if (!ch_->try_receive(m)) return pyb::none();
        return message_object(m);
    }

    // A str goes as a text message, bytes-like as binary; the result is 0 once written, else the
    // close code of the connection's end.
    void send(const pyb::object& data, pyb::object future) {
        std::string payload;
        const bool text = payload_of(data, payload);
        ch_->send(text, std::move(payload),
                  [slot = FutureSlot(std::move(future))](int code) { slot.resolve([code] { return pyb::int_(code); }); });
    }

    // Queued without waiting (True) while the connection is open and little waits to be written;
    // else False, and the caller waits with send().
    bool try_send(const pyb::object& data) {
        // Too big to queue without waiting: no copy made for nothing.
        if (PyUnicode_Check(data.ptr()) && PyUnicode_GET_LENGTH(data.ptr()) > static_cast<Py_ssize_t>(engine::WebSocketChannel::kSendBuffer))
            return false;
        std::string payload;
        const bool text = payload_of(data, payload);
        return ch_->try_send(text, payload);
    }

    void close(int code, std::string reason, pyb::object future) {
        ch_->close(code, std::move(reason),
                   [slot = FutureSlot(std::move(future))] { slot.resolve([] { return pyb::none(); }); });
    }

    std::string offered() const { return std::string(ch_->offered_subprotocols()); }

private:
    static pyb::object message_object(const engine::WebSocketMessage& m) {
        if (!m.text) return pyb::bytes(m.data);
        // Beast checked the UTF-8 of text messages (1007 otherwise).
        return pyb::str(m.data);
    }

    // A str's UTF-8 (true: a text message) or a bytes-like object's bytes (false: binary).
    static bool payload_of(const pyb::object& data, std::string& payload) {
        if (PyUnicode_Check(data.ptr())) {
            Py_ssize_t n = 0;
            const char* s = PyUnicode_AsUTF8AndSize(data.ptr(), &n);
            if (!s) throw pyb::error_already_set();
            payload.assign(s, static_cast<std::size_t>(n));
            return true;
        }
        Py_buffer view;
        if (PyObject_GetBuffer(data.ptr(), &view, PyBUF_CONTIG_RO) < 0) throw pyb::error_already_set();
        payload.assign(static_cast<const char*>(view.buf), static_cast<std::size_t>(view.len));
        PyBuffer_Release(&view);
        return false;
    }

    std::shared_ptr<engine::WebSocketChannel> ch_;
};

// One upgrade request's endpoint: `serve(request, channel)` (cello.websocket._serve with the
// route's handler bound) starts the handler's task once the session has the socket.
class PyWebSocketEndpoint final : public engine::WebSocketEndpoint {
public:
    PyWebSocketEndpoint(pyb::object serve, pyb::object request) : serve_(std::move(serve)), request_(std::move(request)) {}
    ~PyWebSocketEndpoint() override {
        if (!Py_IsInitialized()) {
            (void)serve_.release();
            (void)request_.release();
            return;
        }
        pyb::gil_scoped_acquire gil;
        serve_ = request_ = pyb::object();
    }

    void opened(std::shared_ptr<engine::WebSocketChannel> channel) override {
        pyb::gil_scoped_acquire gil;
        try {
            serve_(request_, PyWebSocketChannel(channel));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "cello: could not start a WebSocket handler:\n%s\n", e.what());
            channel->refuse(500);
        }
        serve_ = request_ = pyb::object();
    }

private:
    pyb::object serve_, request_;
};

bool is_websocket_upgrade(const engine::Request& req) {
    if (req.method != "GET") return false;
    const std::string_view upgrade = req.header("upgrade");
    return engine::iequals(engine::trim_ows(upgrade), "websocket");
}

}  // namespace

PyWebSocketHandler::PyWebSocketHandler(pyb::object fn, std::shared_ptr<const AppContext> ctx,
                                       engine::WebSocketOptions options)
    : fn_(std::move(fn)),
      serve_(pyb::module_::import("functools").attr("partial")(pyb::module_::import("cello.websocket").attr("_serve"), fn_)),
      ctx_(std::move(ctx)),
      options_(options) {}

PyWebSocketHandler::~PyWebSocketHandler() {
    if (!Py_IsInitialized()) {
        (void)fn_.release();
        (void)serve_.release();
        return;
    }
    pyb::gil_scoped_acquire gil;
    fn_ = serve_ = pyb::object();
    ctx_.reset();
}

void PyWebSocketHandler::handle(const engine::Request& req, engine::Response& res) {
    if (!is_websocket_upgrade(req)) {
        engine::make_error(res, 426, "this route takes WebSocket connections (GET with Upgrade: websocket)");
        res.headers.emplace_back("Upgrade", "websocket");
        return;
    }
    EngineGil gil;
    try {
        // The handler's request: its own copy (the connection's storage goes with the upgrade).
        pyb::object request = pyb::cast(PyRequest(), pyb::return_value_policy::move);
        auto* native = request.cast<PyRequest*>();
        native->attach(&req, ctx_->app);
        native->detach();
        auto endpoint = std::make_shared<PyWebSocketEndpoint>(serve_, std::move(request));
        endpoint->options = options_;
        res.status = 101;
        res.websocket = std::move(endpoint);
    } catch (pyb::error_already_set& e) {
        std::fprintf(stderr, "cello: WebSocket upgrade failed:\n%s\n", e.what());
        res.clear();
        engine::make_error(res, 500);
    }
}

void define_websocket(pyb::module_& m) {
    pyb::class_<PyWebSocketChannel>(m, "WebSocketChannel", "A WebSocket session's channel (cello.websocket uses it).")
        .def("accept", &PyWebSocketChannel::accept, pyb::arg("subprotocol"), pyb::arg("future"))
        .def("refuse", &PyWebSocketChannel::refuse, pyb::arg("status"))
        .def("receive", &PyWebSocketChannel::receive, pyb::arg("future"))
        .def("try_receive", &PyWebSocketChannel::try_receive)
        .def("send", &PyWebSocketChannel::send, pyb::arg("data"), pyb::arg("future"))
        .def("try_send", &PyWebSocketChannel::try_send, pyb::arg("data"))
        .def("close", &PyWebSocketChannel::close, pyb::arg("code"), pyb::arg("reason"), pyb::arg("future"))
        .def_property_readonly("offered_subprotocols", &PyWebSocketChannel::offered);
}

}  // namespace cello::py
