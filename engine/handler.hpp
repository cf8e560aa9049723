// What the engine calls to produce a response. pyembed implements it with Python callables.
#pragma once

#include "engine/http_types.hpp"

namespace cello::engine {

class Handler {
public:
    virtual ~Handler() = default;
    // Runs on the engine thread that owns the connection. Must fill `res`; exceptions become a 500.
    virtual void handle(const Request& req, Response& res) = 0;
};

}  // namespace cello::engine
