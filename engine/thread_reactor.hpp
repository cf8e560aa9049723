// One engine thread's reactor as seen by a foreign event loop that drives it (pyembed's asyncio
// loop). The foreign loop calls run() where it would block in select(); the engine's socket
// handlers run inside that call, and it returns as soon as the foreign loop has work of its own.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace cello::engine {

// A file descriptor of the caller's (a database connection's socket) watched by one engine
// thread's reactor. Destroying it cancels a wait in progress (its callback is then not called);
// the fd stays open, it is the caller's.
class FdWatch {
public:
    virtual ~FdWatch() = default;
    // Calls `ready(true)` once, from run() on the reactor's thread, when the fd is readable (or
    // writable); `ready(false)` if the wait failed.
    virtual void wait(bool writable, std::function<void(bool ok)> ready) = 0;
};

class ThreadReactor {
public:
    enum class Woke {
        Timeout,   // the timeout passed
        Nudged,    // code run by an engine handler gave the foreign loop work (nudge())
        Readable,  // the watched fd is readable: the foreign loop's own poller has events
        Finished,  // the engine thread has nothing left to do (stopped and drained); run() won't block again
    };

    virtual ~ThreadReactor() = default;
    // Runs engine handlers until one of Woke happens. A timeout of zero runs only what is ready now;
    // none waits as long as it takes. Call on the engine thread only.
    virtual Woke run(std::optional<std::chrono::nanoseconds> timeout) = 0;
    // The foreign loop's poller (an epoll fd), watched for readability from now on; -1 stops
    // watching (before the foreign loop closes it). The fd stays the caller's. POSIX only.
    virtual void watch(int fd) = 0;
    // The foreign loop has new work (a callback or timer added from code an engine handler ran):
    // run() returns once that handler is done. Engine thread only.
    virtual void nudge() noexcept = 0;
    // A timer of the foreign loop due at `when`: nudge() only if run() would otherwise wait past
    // it (a later timer is seen when run() returns at its deadline anyway). Engine thread only.
    virtual void nudge_before(std::chrono::steady_clock::time_point when) noexcept = 0;
    virtual unsigned index() const noexcept = 0;
    // Watches `fd` (the caller's) on this reactor. Engine thread only.
    virtual std::unique_ptr<FdWatch> watch_fd(int fd) = 0;
};

}  // namespace cello::engine
