// This process's stdout and stderr, redirected at the descriptor level into one pipe, so that
// everything written to either (a C++ printf, Python's print, a child process that inherited
// them) can be read back in the order it was written; the original stderr stays reachable for a
// copy to the terminal. cello-studio's console is made from it (gui/output_capture.hpp).
// POSIX: pipe2/dup2/poll (stdio_capture_posix.cpp); Windows: an overlapped named pipe,
// _dup2/SetStdHandle and an event (stdio_capture_windows.cpp).
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace cello::engine::platform {

class StdioCapture {
public:
    // Redirects stdout and stderr into the pipe; if that cannot be done, !active() and output
    // goes where it went before. The new stdout/stderr stay inheritable, as a terminal would be.
    StdioCapture();
    // Stops (if not yet) and closes the pipe. Call it only once no thread is inside read().
    ~StdioCapture();
    StdioCapture(const StdioCapture&) = delete;
    StdioCapture& operator=(const StdioCapture&) = delete;

    bool active() const noexcept;

    // Waits for output and puts up to `size` bytes of it into `buffer`; returns how many. Returns
    // 0 once stop() was called and what had been written before it is read (or the pipe failed).
    // One reading thread at a time.
    std::size_t read(char* buffer, std::size_t size);

    // Restores stdout and stderr and wakes read() (from any thread). A child process that
    // inherited them may keep the pipe open: read() does not wait for it to exit.
    void stop();

    // Writes all of `data` to the stderr there was before the capture (the terminal's copy).
    void write_original(std::string_view data);

private:
    struct Impl;  // the platform's handles
    std::unique_ptr<Impl> impl_;
};

}  // namespace cello::engine::platform
