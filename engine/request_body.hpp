// A request body that is still arriving when the handler starts (larger than the server's
// body_buffer_bytes): the handler's side takes it in pieces as the connection reads them. The
// connection reads only while less than a window is waiting here, so a handler that reads slowly
// slows the client down (TCP's window fills) and one that never reads does not make the server
// read the body at all. Used on the connection's engine thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cello::engine {

class RequestBody {
public:
    enum class State : std::uint8_t {
        Data,     // take() appended bytes
        Waiting,  // nothing now: wait() for more
        End,      // the whole body has been taken
        Failed,   // it cannot be had: error_status() (413, 400, 408, or 499 when the client left)
    };

    virtual ~RequestBody() = default;
    // Appends everything that has arrived (possibly nothing) to `out`.
    virtual State take(std::string& out) = 0;
    // After Waiting: `ready` is called once, on the engine thread, when take() has news.
    virtual void wait(std::function<void()> ready) = 0;
    virtual int error_status() const noexcept = 0;
    virtual std::string_view error_detail() const noexcept = 0;
    // The declared Content-Length (nullopt for a chunked body).
    virtual std::optional<std::uint64_t> length() const noexcept = 0;
    // The whole body has arrived (some of it may not be taken yet).
    virtual bool complete() const noexcept = 0;
    // Bytes of body received so far (taken or not).
    virtual std::uint64_t received() const noexcept = 0;
};

}  // namespace cello::engine
