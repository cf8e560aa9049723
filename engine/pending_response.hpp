// A response that an async handler finishes later, maybe on another thread (the asyncio loop).
#pragma once

#include "engine/http_types.hpp"

#include <functional>
#include <mutex>
#include <optional>

namespace cello::engine {

class PendingResponse {
public:
    // From any thread, once: the finished response. Handed to the deliverer (now, or when it attaches).
    void complete(Response res);
    // The connection's side, on its engine thread: where the response goes (it posts to that thread).
    void attach(std::function<void(Response)> deliver);
    // The handler's side: how to abandon the work (e.g. cancel an asyncio task). Thread-safe.
    void on_cancel(std::function<void()> cancel);
    // The client went away: run the cancel function (once) and drop any late response.
    void cancel();

private:
    std::mutex mutex_;
    std::optional<Response> ready_;
    std::function<void(Response)> deliver_;
    std::function<void()> cancel_;
    bool cancelled_ = false;
};

}  // namespace cello::engine
