#include "engine/net/incoming_body.hpp"

namespace cello::engine::net {

void IncomingBody::feed(std::string& bytes) {
    if (bytes.empty() || state_ != Open) return;
    received_ += bytes.size();
    if (buf_.empty()) buf_.swap(bytes);
    else buf_.append(bytes);
    bytes.clear();
    wake();
}

void IncomingBody::finish() {
    if (state_ != Open) return;
    state_ = Finished;
    wake();
}

void IncomingBody::fail(int status, std::string detail) {
    if (state_ != Open) return;
    state_ = Failed;
    status_ = status;
    detail_ = std::move(detail);
    buf_.clear();
    buf_.shrink_to_fit();
    wake();
}

std::size_t IncomingBody::room() const noexcept {
    if (state_ != Open || buf_.size() >= window_) return 0;
    return window_ - buf_.size();
}

RequestBody::State IncomingBody::take(std::string& out) {
    asked_ = true;
    if (!buf_.empty()) {
        if (out.empty()) out.swap(buf_);
        else out.append(buf_);
        buf_.clear();
        if (state_ == Open) wanted_();  // there is room again: the connection parses and reads on
        return State::Data;
    }
    if (state_ == Finished) return State::End;
    if (state_ == Failed) return State::Failed;
    wanted_();  // nothing here: the connection reads (or tells the client to go on)
    return State::Waiting;
}

void IncomingBody::wait(std::function<void()> ready) {
    ready_ = std::move(ready);
    if (!buf_.empty() || state_ != Open) wake();
}

void IncomingBody::wake() {
    if (!ready_) return;
    auto ready = std::move(ready_);
    ready_ = nullptr;
    ready();
}

}  // namespace cello::engine::net
