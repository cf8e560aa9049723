#include "engine/pending_response.hpp"

namespace cello::engine {

void PendingResponse::complete(Response res) { finish(Resumption{std::move(res), {}}); }

void PendingResponse::resume(ResumeStep step) { finish(Resumption{std::nullopt, std::move(step)}); }

void PendingResponse::finish(Resumption r) {
    std::function<void(Resumption)> deliver;
    {
        std::lock_guard lock(mutex_);
        if (cancelled_ || finished_) return;
        finished_ = true;
        if (!deliver_) {
            ready_.emplace(std::move(r));
            return;
        }
        deliver = std::move(deliver_);
    }
    deliver(std::move(r));  // outside the lock: it posts to the connection's thread
}

void PendingResponse::attach(std::function<void(Resumption)> deliver) {
    std::optional<Resumption> ready;
    {
        std::lock_guard lock(mutex_);
        if (!ready_) {
            deliver_ = std::move(deliver);
            return;
        }
        ready.swap(ready_);
    }
    deliver(std::move(*ready));
}

void PendingResponse::on_cancel(std::function<void()> cancel) {
    std::lock_guard lock(mutex_);
    cancel_ = std::move(cancel);
}

void PendingResponse::cancel() {
    std::function<void()> cancel;
    {
        std::lock_guard lock(mutex_);
        if (cancelled_) return;
        cancelled_ = true;
        deliver_ = nullptr;
        ready_.reset();
        cancel.swap(cancel_);
    }
    if (cancel) cancel();
}

bool PendingResponse::cancelled() {
    std::lock_guard lock(mutex_);
    return cancelled_;
}

}  // namespace cello::engine
