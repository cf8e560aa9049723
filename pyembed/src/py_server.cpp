#include "py_server.hpp"
#include "py_websocket.hpp"

#include "writable_view.hpp"

#include "engine/cache/cache_middleware.hpp"
#include "engine/cluster/cluster_link.hpp"
#include "engine/middleware_registry.hpp"
#include "engine/router.hpp"
#include "engine_thread_state.hpp"
#include "py_cache.hpp"
#include "py_config.hpp"
#include "py_loop.hpp"
#include "py_tls.hpp"

#include <chrono>
#include <system_error>

namespace cello::py {

PyRouteTable::PyRouteTable(pyb::object app, bool debug) : table_(std::make_shared<engine::RouteTable>()) {
    auto ctx = std::make_shared<AppContext>();
    ctx->app = std::move(app);
    ctx->debug = debug;
    ctx_ = std::move(ctx);
}

void PyRouteTable::add(const std::string& method, const std::string& pattern, pyb::object handler,
                       const std::string& name, const pyb::object& cache, const std::string& source) {
    engine::Method m{};
    if (!engine::parse_method(method, m))
        throw pyb::value_error("unsupported HTTP method '" + method + "' for route '" + pattern +
                               "' (use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS)");
    if (!PyCallable_Check(handler.ptr())) throw pyb::type_error("handler for '" + pattern + "' is not callable");
    engine::Route route;
    route.method = m;
    route.pattern = pattern;
    route.name = name;
    route.source = source;
    route.handler = std::make_shared<PyHandler>(std::move(handler), ctx_, name);
    if (!cache.is_none()) {
        if (!cache_) set_cache(std::make_shared<engine::ResponseCache>(64 * 1024 * 1024));
        route.cache = make_cache_policy(cache.cast<pyb::dict>(), *cache_, method + " " + pattern);
        if (!cache_middleware_added_) {
            table_->add_middleware(std::make_shared<engine::CacheMiddleware>(cache_), engine::kCacheRank);
            cache_middleware_added_ = true;
        }
    }
    table_->add(std::move(route));  // engine::RouteError is a std::invalid_argument: ValueError
}

void PyRouteTable::set_cache(std::shared_ptr<engine::ResponseCache> cache) {
    cache_ = std::move(cache);
    table_->set_cache(cache_);
}

void PyRouteTable::add_middleware(const std::string& name, const pyb::dict& settings) {
    auto entry = engine::make_middleware(name, to_config(settings));
    table_->add_middleware(std::move(entry.middleware), entry.rank);
}

void PyRouteTable::define(pyb::module_& m) {
    pyb::class_<PyRouteTable>(m, "RouteTable", "Routes validated and compiled into the engine's radix tree.")
        .def(pyb::init<pyb::object, bool>(), pyb::arg("app") = pyb::none(), pyb::arg("debug") = true)
        .def("add", &PyRouteTable::add, pyb::arg("method"), pyb::arg("pattern"), pyb::arg("handler"),
             pyb::arg("name"), pyb::arg("cache") = pyb::none(), pyb::arg("source") = "")
        .def("add_websocket", &PyRouteTable::add_websocket, pyb::arg("pattern"), pyb::arg("handler"), pyb::arg("name"),
             pyb::arg("options"), pyb::arg("source") = "")
        .def("add_middleware", &PyRouteTable::add_middleware, pyb::arg("name"), pyb::arg("settings"))
        .def("set_cache", &PyRouteTable::set_cache, pyb::arg("cache"))
        .def("__len__", &PyRouteTable::size);
}

namespace {

template <class T>
T option(const pyb::dict& d, const char* key, T fallback) {
    if (!d.contains(key) || d[key].is_none()) return fallback;
    return d[key].cast<T>();
}

// Cluster mode: each engine thread writes into `buffer` (a worker's cell in the supervisor's shared
// memory) once a second its four int64s: heartbeat (steady clock, ms), requests answered, WebSocket
// connections open, WebSocket messages. Plain memory, no GIL: the supervisor (cello/cluster.py)
// reads it from another process.
std::function<void(unsigned, const engine::ThreadCounts&)> heartbeat_writer(const pyb::handle& buffer, unsigned threads) {
    auto view = WritableView::of(buffer);
    const auto need = static_cast<Py_ssize_t>(4 * sizeof(std::int64_t) * threads);
    if (view->buf.len < need || reinterpret_cast<std::uintptr_t>(view->buf.buf) % alignof(std::int64_t) != 0)
        throw pyb::value_error("heartbeat: needs " + std::to_string(need) + " aligned writable bytes");
    return [view](unsigned thread, const engine::ThreadCounts& counts) {
        auto* slots = static_cast<std::int64_t*>(view->buf.buf) + 4 * thread;
        const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now().time_since_epoch()).count();
        std::atomic_ref<std::int64_t>(slots[0]).store(now, std::memory_order_relaxed);
        std::atomic_ref<std::int64_t>(slots[1]).store(static_cast<std::int64_t>(counts.answered), std::memory_order_relaxed);
        std::atomic_ref<std::int64_t>(slots[2]).store(static_cast<std::int64_t>(counts.websockets), std::memory_order_relaxed);
        std::atomic_ref<std::int64_t>(slots[3]).store(static_cast<std::int64_t>(counts.websocket_messages),
                                                      std::memory_order_relaxed);
    };
}

}  // namespace

void PyRouteTable::add_websocket(const std::string& pattern, pyb::object handler, const std::string& name,
                                 const pyb::dict& options, const std::string& source) {
    if (!PyCallable_Check(handler.ptr())) throw pyb::type_error("handler for '" + pattern + "' is not callable");
    engine::WebSocketOptions o;
    o.max_message_size = option<std::size_t>(options, "max_message_size", o.max_message_size);
    o.deflate = option<bool>(options, "deflate", o.deflate);
    o.idle_timeout = std::chrono::seconds(option<long>(options, "idle_timeout", o.idle_timeout.count()));
    engine::Route route;
    route.method = engine::Method::Get;
    route.pattern = pattern;
    route.name = name;
    route.source = source;
    route.handler = std::make_shared<PyWebSocketHandler>(std::move(handler), ctx_, o);
    table_->add(std::move(route));
}

PyServer::PyServer(const PyRouteTable& routes, const pyb::dict& options, PyInspector* inspector)
    : holder_(std::make_shared<engine::RouteTableHolder>(routes.snapshot())) {
    engine::ServerOptions o;
    o.host = option<std::string>(options, "host", o.host);
    host_ = o.host;
    const int port = option<int>(options, "port", o.port);
    if (port < 0 || port > 65535) throw pyb::value_error("port must be between 0 and 65535, not " + std::to_string(port));
    o.port = static_cast<std::uint16_t>(port);
    const int workers = option<int>(options, "workers", 1);
    if (workers < 1 || workers > 1024) throw pyb::value_error("workers must be between 1 and 1024");
    o.workers = static_cast<unsigned>(workers);
    o.max_body_bytes = option<std::size_t>(options, "max_body_size", o.max_body_bytes);
    o.max_header_bytes = option<std::size_t>(options, "max_header_size", o.max_header_bytes);
    o.body_buffer_bytes = option<std::size_t>(options, "body_buffer_size", o.body_buffer_bytes);
    o.body_timeout = std::chrono::seconds(option<long>(options, "body_timeout", o.body_timeout.count()));
    o.header_timeout = std::chrono::seconds(option<long>(options, "header_timeout", o.header_timeout.count()));
    o.keepalive_timeout = std::chrono::seconds(option<long>(options, "keepalive_timeout", o.keepalive_timeout.count()));
    o.drain_timeout = std::chrono::seconds(option<long>(options, "drain_timeout", o.drain_timeout.count()));
    o.write_timeout = std::chrono::seconds(option<long>(options, "write_timeout", o.write_timeout.count()));
    o.max_connections = option<std::size_t>(options, "max_connections", o.max_connections);
    o.max_requests_per_connection =
        option<std::size_t>(options, "max_requests_per_connection", o.max_requests_per_connection);
    if (options.contains("listen_fd") && !options["listen_fd"].is_none())
        o.listen_fd = options["listen_fd"].cast<std::intptr_t>();
    if (options.contains("http2") && !options["http2"].is_none()) {
        const auto h = options["http2"].cast<pyb::dict>();
        o.http2.enabled = CELLO_HTTP2 && option<bool>(h, "enabled", true);
        o.http2.max_concurrent_streams = option<std::uint32_t>(h, "max_concurrent_streams", o.http2.max_concurrent_streams);
        o.http2.initial_window_size = option<std::uint32_t>(h, "initial_window_size", o.http2.initial_window_size);
        o.http2.max_frame_size = option<std::uint32_t>(h, "max_frame_size", o.http2.max_frame_size);
    }
    o.http2.enabled = o.http2.enabled && CELLO_HTTP2;
    if (options.contains("tls") && !options["tls"].is_none()) {
        auto tls = options["tls"].cast<pyb::dict>();
        tls["http2"] = o.http2.enabled;
        o.tls = make_tls_context(tls);
    }
    if (options.contains("heartbeat") && !options["heartbeat"].is_none())
        o.on_sweep = heartbeat_writer(options["heartbeat"], o.workers);
    PyInterpreterState* interp = PyInterpreterState_Get();
    o.on_thread_start = [interp] { attach_engine_thread(interp); };
    o.on_thread_stop = [] { detach_engine_thread(&release_thread_request); };
    // Each engine thread runs its asyncio loop (cello._loop.run_thread, or the caller's thread_main
    // with the app's hooks bound) and the loop drives the thread's reactor.
    pyb::object thread_main = options.contains("thread_main") && !options["thread_main"].is_none()
                                  ? pyb::reinterpret_borrow<pyb::object>(options["thread_main"])
                                  : pyb::module_::import("cello._loop").attr("run_thread");
    thread_main_ = std::shared_ptr<PyObject>(thread_main.release().ptr(), [](PyObject* p) {
        if (!Py_IsInitialized()) return;
        pyb::gil_scoped_acquire gil;
        Py_DECREF(p);
    });
    o.drive = [main = thread_main_](engine::ThreadReactor& reactor) { drive_engine_thread(reactor, main.get()); };
    if (options.contains("cluster_telemetry") && !options["cluster_telemetry"].is_none()) {
        // A cluster worker with the inspector on: its engine threads push into its cell's rings,
        // which the supervisor's inspector drains.
        const auto link = engine::cluster::ClusterLink::current();
        if (!link) throw pyb::value_error("cluster_telemetry: this process has not joined a cluster");
        o.telemetry = link->telemetry(engine::Redaction(options["cluster_telemetry"].cast<std::vector<std::string>>()));
    }
    if (inspector) {
        inspector_ = inspector->native();
        if (inspector_->telemetry()->threads() != o.workers)
            throw pyb::value_error("the inspector was made for " + std::to_string(inspector_->telemetry()->threads()) +
                                   " engine threads, the server has " + std::to_string(o.workers));
        o.telemetry = inspector_->telemetry();
        inspector_->set_routes(*routes.snapshot());
        inspector_->set_cache(routes.snapshot()->cache());
    }
    server_ = std::make_unique<engine::Server>(std::move(o), holder_);
}

PyServer::~PyServer() {
    if (started_ && !joined_) {
        server_->stop();
        join_released();
    }
    pyb::gil_scoped_release release;  // dropping the route snapshot may run Handler destructors
    server_.reset();
    holder_.reset();
}

void PyServer::start_threads() {
    if (threads_started_) return;
    server_->start_threads();
    threads_started_ = started_ = true;
}

void PyServer::start() {
    if (listening_) throw pyb::value_error("server already started");
    start_threads();
    try {
        server_->listen();
    } catch (const std::system_error& e) {
        PyErr_SetObject(PyExc_OSError, pyb::make_tuple(e.code().value(), e.what()).ptr());
        throw pyb::error_already_set();
    }
    listening_ = true;
    if (inspector_) inspector_->set_server(host_, port());
}

void PyServer::stop() {
    if (started_) server_->stop();
}

void PyServer::join_released() {
    pyb::gil_scoped_release release;
    server_->join();
    joined_ = true;
}

bool PyServer::wait(double timeout) {
    if (!started_) return true;
    bool done;
    {
        pyb::gil_scoped_release release;
        done = server_->wait_for(std::chrono::milliseconds(static_cast<long>(timeout * 1000)));
    }
    if (done && !joined_) join_released();
    return done;
}

void PyServer::serve_forever() {
    if (!listening_) start();
    while (!wait(0.1)) {
        // Python's own handlers run here: Ctrl-C raises KeyboardInterrupt, the cello package's
        // SIGTERM handler raises too. Either way the exception propagates and the caller drains
        // (after the health checks' drain_secs: still serving, /ready answering 503).
        if (PyErr_CheckSignals() != 0) throw pyb::error_already_set();
    }
}

void PyServer::replace_routes(const PyRouteTable& routes) {
    auto snapshot = routes.snapshot();
    for (const auto& m : snapshot->middleware()) m->prepare(server_->options().workers);
    if (inspector_) {
        inspector_->set_routes(*snapshot);
        inspector_->set_cache(snapshot->cache());
    }
    holder_->replace(std::move(snapshot));
}

void PyServer::reload_tls() {
    const auto& tls = server_->options().tls;
    if (!tls) throw pyb::value_error("this server does not serve TLS");
    reload_tls_context(*tls);
}

void PyServer::define(pyb::module_& m) {
    pyb::class_<PyServer>(m, "Server", "The native HTTP server.", pyb::dynamic_attr())
        .def(pyb::init<const PyRouteTable&, const pyb::dict&, PyInspector*>(), pyb::arg("routes"),
             pyb::arg("options"), pyb::arg("inspector") = nullptr, pyb::keep_alive<1, 4>())
        .def("start_threads", &PyServer::start_threads,
             "Starts the engine threads and their event loops, without a socket yet (startup hooks run there).")
        .def("start", &PyServer::start, "Starts the engine threads if needed, then binds and accepts.")
        .def("stop", &PyServer::stop)
        .def("wait", &PyServer::wait, pyb::arg("timeout"))
        .def("serve_forever", &PyServer::serve_forever)
        .def("replace_routes", &PyServer::replace_routes, pyb::arg("routes"))
        .def("reload_tls", &PyServer::reload_tls,
             "Reads the TLS certificate and key again (SIGHUP); new connections use them. ValueError, and "
             "the old ones stay, when they do not serve.")
        .def_property_readonly("tls", [](const PyServer& s) { return s.server_->options().tls != nullptr; })
        .def_property_readonly("port", &PyServer::port);
}

}  // namespace cello::py
