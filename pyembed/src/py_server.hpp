// The Python face of the engine: a route table builder and a server that serves it.
#pragma once

#include "engine/route_table.hpp"
#include "engine/server.hpp"
#include "py_handler.hpp"
#include "py_inspector.hpp"

#include <pybind11/pybind11.h>

#include <memory>

namespace cello::py {

namespace pyb = pybind11;

class PyRouteTable {
public:
    PyRouteTable(pyb::object app, bool debug);
    // Raises ValueError naming the pattern when it is malformed or conflicts.
    void add(const std::string& method, const std::string& pattern, pyb::object handler, const std::string& name,
             const pyb::object& cache, const std::string& source = {});
    // A WebSocket route: GET `pattern` with Upgrade: websocket, served by `async def handler(ws)`
    // (options: max_message_size, deflate, idle_timeout).
    void add_websocket(const std::string& pattern, pyb::object handler, const std::string& name,
                       const pyb::dict& options, const std::string& source = {});
    // Adds the native middleware `name` with `settings` (ValueError/TypeError on bad settings).
    void add_middleware(const std::string& name, const pyb::dict& settings);
    // The cache that routes added with cache= settings use. Call before adding them.
    void set_cache(std::shared_ptr<engine::ResponseCache> cache);
    std::size_t size() const { return table_->routes().size(); }
    std::shared_ptr<const engine::RouteTable> snapshot() const { return table_; }

    static void define(pyb::module_& m);

private:
    std::shared_ptr<engine::RouteTable> table_;
    std::shared_ptr<const AppContext> ctx_;
    std::shared_ptr<engine::ResponseCache> cache_;
    bool cache_middleware_added_ = false;
};

class PyServer {
public:
    // With `inspector`: every request is reported to it, and reloads update its route list.
    PyServer(const PyRouteTable& routes, const pyb::dict& options, PyInspector* inspector = nullptr);
    ~PyServer();

    void start_threads();         // the engine threads and their loops, no socket yet
    void start();                 // (threads, then) binds; raises OSError with a clear message on failure
    void stop();                  // graceful, from any thread
    bool wait(double timeout);    // GIL released while waiting; true when stopped
    void serve_forever();         // start, then wait; Ctrl-C / SIGTERM (Python handlers) stop it
    std::uint16_t port() const { return server_->port(); }
    // Hot reload: new requests use `routes`; requests in flight finish on the old snapshot.
    void replace_routes(const PyRouteTable& routes);
    // SIGHUP with TLS: the certificate and key read again (ValueError, the old ones kept, on failure).
    void reload_tls();

    static void define(pyb::module_& m);

private:
    void join_released();

    std::shared_ptr<engine::RouteTableHolder> holder_;
    std::shared_ptr<inspector::Inspector> inspector_;
    std::string host_;  // as given: told to the inspector with the bound port
    std::unique_ptr<engine::Server> server_;
    std::shared_ptr<PyObject> thread_main_;  // what each engine thread runs (cello._loop.run_thread)
    bool started_ = false;    // threads started
    bool threads_started_ = false;
    bool listening_ = false;
    bool joined_ = false;
};

}  // namespace cello::py
