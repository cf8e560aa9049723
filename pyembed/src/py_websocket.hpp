// WebSocket routes (engine/websocket.hpp) served by `async def handler(ws)`: the route's handler
// answers an upgrade request with an endpoint; once the engine's session has the socket, the
// endpoint starts cello.websocket's task for the handler with a _cello.WebSocketChannel.
#pragma once

#include "engine/handler.hpp"
#include "engine/websocket.hpp"
#include "py_handler.hpp"

#include <pybind11/pybind11.h>

#include <memory>
#include <string>

namespace cello::py {

namespace pyb = pybind11;

class PyWebSocketHandler final : public engine::Handler {
public:
    PyWebSocketHandler(pyb::object fn, std::shared_ptr<const AppContext> ctx, engine::WebSocketOptions options);
    ~PyWebSocketHandler() override;
    void handle(const engine::Request& req, engine::Response& res) override;

private:
    pyb::object fn_;
    pyb::object serve_;  // cello.websocket._serve with fn_ bound (made once, at registration)
    std::shared_ptr<const AppContext> ctx_;
    engine::WebSocketOptions options_;
};

void define_websocket(pyb::module_& m);

}  // namespace cello::py
