// The answer to a suspended exchange, coming later: an async handler's response, or a step a
// middleware's before() left to run once what it waits for is there (a cache follower's leader
// finished). Completed from any thread; delivered on the connection's engine thread.
#pragma once

#include "engine/http_types.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>

namespace cello::engine {

struct Exchange;

// Run on the connection's thread with the suspended exchange: true when it filled `ex.res` (the
// answer), false when the middleware chain goes on with the next before() and the handler.
using ResumeStep = std::function<bool(Exchange&)>;

struct Resumption {
    std::optional<Response> response;  // set: the answer
    ResumeStep step;                   // else: what to run
};

class PendingResponse {
public:
    // From any thread, once (later calls are ignored): the answer, or a step to run.
    void complete(Response res);
    void resume(ResumeStep step);
    // The connection's side, on its engine thread: `notify` is called once, from the thread that
    // completes (it posts to the connection's thread), when take() has the resumption. The
    // resumption stays here meanwhile: the answer is moved once in and once out.
    void attach(std::function<void()> notify);
    // After notify, on the connection's thread: the answer or step (once).
    Resumption take();
    // The handler's side: how to abandon the work (e.g. cancel an asyncio task). Thread-safe.
    void on_cancel(std::function<void()> cancel);
    // Set before returning it: if nothing completed it `after` that long, the connection resumes it
    // with `on_timeout` (a cache follower whose leader takes too long calls the handler itself).
    void set_deadline(std::chrono::milliseconds after, ResumeStep on_timeout) {
        deadline_ = after;
        on_timeout_ = std::move(on_timeout);
    }
    std::chrono::milliseconds deadline() const noexcept { return deadline_; }  // zero: none
    ResumeStep take_timeout_step() { return std::move(on_timeout_); }
    // The client went away: run the cancel function (once) and drop any late resumption.
    void cancel();
    // Whether cancel() was called. Thread-safe.
    bool cancelled();

private:
    void finish(Resumption r);

    std::mutex mutex_;
    Resumption result_;
    std::function<void()> notify_;
    std::function<void()> cancel_;
    bool cancelled_ = false;
    bool finished_ = false;
    std::chrono::milliseconds deadline_{0};  // set once, on the engine thread, before the connection sees it
    ResumeStep on_timeout_;
};

}  // namespace cello::engine
