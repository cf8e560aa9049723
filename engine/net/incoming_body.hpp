// The connection's side of a RequestBody: what it has read goes in, what the handler takes goes
// out, and at most a window's worth waits in between.
#pragma once

#include "engine/request_body.hpp"

#include <cstddef>
#include <functional>
#include <string>

namespace cello::engine::net {

class IncomingBody final : public RequestBody {
public:
    // `wanted` is called (it must post, not run the connection inline: take() runs inside the
    // handler) when the handler has taken bytes or waits for them.
    IncomingBody(std::optional<std::uint64_t> length, std::size_t window, std::function<void()> wanted)
        : length_(length), window_(window), wanted_(std::move(wanted)) {}

    // --- the connection ---
    void feed(std::string& bytes);  // moves the bytes in
    void finish();                  // the body is complete
    void fail(int status, std::string detail);
    // Room for more: the connection reads (and parses body bytes) only then.
    std::size_t room() const noexcept;
    bool open() const noexcept { return state_ == Open; }
    // The handler has asked for the body (taken, or waited): a client that sent
    // "Expect: 100-continue" may be told to go on.
    bool asked() const noexcept { return asked_; }
    // The handler waits for bytes (the body timeout runs).
    bool awaited() const noexcept { return static_cast<bool>(ready_); }

    // --- the handler (RequestBody) ---
    State take(std::string& out) override;
    void wait(std::function<void()> ready) override;
    int error_status() const noexcept override { return status_; }
    std::string_view error_detail() const noexcept override { return detail_; }
    std::optional<std::uint64_t> length() const noexcept override { return length_; }
    std::uint64_t received() const noexcept override { return received_; }
    bool complete() const noexcept override { return state_ == Finished; }

private:
    enum Phase : std::uint8_t { Open, Finished, Failed };
    void wake();

    std::string buf_;
    std::optional<std::uint64_t> length_;
    std::size_t window_;
    std::uint64_t received_ = 0;
    Phase state_ = Open;
    bool asked_ = false;
    int status_ = 0;
    std::string detail_;
    std::function<void()> ready_;
    std::function<void()> wanted_;
};

}  // namespace cello::engine::net
