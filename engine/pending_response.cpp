#include "engine/pending_response.hpp"

namespace cello::engine {

void PendingResponse::complete(Response res) { finish(Resumption{std::move(res), {}}); }

void PendingResponse::resume(ResumeStep step) { finish(Resumption{std::nullopt, std::move(step)}); }

void PendingResponse::finish(Resumption r) {
    std::function<void()> notify;
    {
        std::lock_guard lock(mutex_);
        if (cancelled_ || finished_) return;
        finished_ = true;
        result_ = std::move(r);
        notify.swap(notify_);  // empty before attach: attach notifies
    }
    if (notify) notify();  // outside the lock: it posts to the connection's thread
}

void PendingResponse::attach(std::function<void()> notify) {
    {
        std::lock_guard lock(mutex_);
        if (!finished_) {
            notify_ = std::move(notify);
            return;
        }
        if (cancelled_) return;
    }
    notify();  // finished before the connection looked
}

Resumption PendingResponse::take() {
    std::lock_guard lock(mutex_);
    return std::move(result_);
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
        notify_ = nullptr;
        result_ = Resumption{};
        cancel.swap(cancel_);
    }
    if (cancel) cancel();
}

bool PendingResponse::cancelled() {
    std::lock_guard lock(mutex_);
    return cancelled_;
}

}  // namespace cello::engine
