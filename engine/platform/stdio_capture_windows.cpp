#include "engine/platform/stdio_capture.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <io.h>  // _open_osfhandle, _dup, _dup2, _write, _close, _get_osfhandle
#include <windows.h>

namespace cello::engine::platform {

// An anonymous pipe cannot be waited on together with a wake-up, so the pipe is a named one whose
// read end is opened for overlapped I/O: read() waits for either its read or the stop event.
struct StdioCapture::Impl {
    HANDLE read_end = INVALID_HANDLE_VALUE;
    HANDLE read_done = nullptr;  // the overlapped read's event
    HANDLE stop_event = nullptr;
    OVERLAPPED overlapped{};
    bool read_pending = false;  // an overlapped read into `chunk` is in flight (reader thread only)
    bool stopping = false;      // the reader has seen the stop event (reader thread only)
    bool drain_known = false;   // once stopping: how much was in the pipe then is known
    DWORD drain_left = 0;       // what of that is still to be read
    char chunk[4096];           // the in-flight read's buffer: it must outlive read() returning
    std::size_t begin = 0, end = 0;  // what of `chunk` read() has not handed out yet
    int saved_out = -1, saved_err = -1;  // CRT descriptors of the originals (-1: there was none)
    HANDLE saved_out_handle = nullptr, saved_err_handle = nullptr;
    std::atomic<bool> stopped{false};

    ~Impl() {
        if (read_pending) {  // the kernel still writes into `chunk`: cancel and wait it out
            CancelIoEx(read_end, &overlapped);
            DWORD ignored = 0;
            GetOverlappedResult(read_end, &overlapped, &ignored, TRUE);
        }
        for (HANDLE h : {read_end, read_done, stop_event})
            if (h && h != INVALID_HANDLE_VALUE) CloseHandle(h);
        for (int fd : {saved_out, saved_err})
            if (fd >= 0) _close(fd);
    }

    // Starts a read of up to `want` bytes into `chunk`: true if it finished at once (`got` set) or
    // is now in flight.
    bool start(DWORD& got, DWORD want = sizeof chunk) {
        ResetEvent(read_done);
        overlapped = OVERLAPPED{};
        overlapped.hEvent = read_done;
        if (ReadFile(read_end, chunk, want, &got, &overlapped)) return true;
        read_pending = GetLastError() == ERROR_IO_PENDING;
        return read_pending;  // otherwise the pipe failed (every writer gone, or worse)
    }
};

StdioCapture::StdioCapture() {
    static std::atomic<unsigned> serial{0};
    const std::wstring name = L"\\\\.\\pipe\\cello-stdio-" + std::to_wstring(GetCurrentProcessId()) + L"-" +
                              std::to_wstring(serial.fetch_add(1));
    auto impl = std::make_unique<Impl>();
    impl->read_end = CreateNamedPipeW(name.c_str(), PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                                      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                                      1, 0, 64 * 1024, 0, nullptr);
    impl->read_done = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    impl->stop_event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    if (impl->read_end == INVALID_HANDLE_VALUE || !impl->read_done || !impl->stop_event) return;
    // The write end is inheritable, as a terminal would be: child processes write into it too.
    SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    const HANDLE write_end = CreateFileW(name.c_str(), GENERIC_WRITE, 0, &inherit, OPEN_EXISTING, 0, nullptr);
    if (write_end == INVALID_HANDLE_VALUE) return;
    const int write_fd = _open_osfhandle(reinterpret_cast<intptr_t>(write_end), _O_WRONLY | _O_BINARY);
    if (write_fd < 0) {
        CloseHandle(write_end);
        return;
    }
    std::fflush(stdout);  // what was written before the capture is not the capture's
    std::fflush(stderr);
    impl->saved_out = _dup(1);  // -1 in a program without a console: nothing to copy or restore
    impl->saved_err = _dup(2);
    impl->saved_out_handle = GetStdHandle(STD_OUTPUT_HANDLE);
    impl->saved_err_handle = GetStdHandle(STD_ERROR_HANDLE);
    _dup2(write_fd, 1);
    _dup2(write_fd, 2);
    _close(write_fd);
    // What writes through the Windows handles (and what a child process inherits) follows too.
    SetStdHandle(STD_OUTPUT_HANDLE, reinterpret_cast<HANDLE>(_get_osfhandle(1)));
    SetStdHandle(STD_ERROR_HANDLE, reinterpret_cast<HANDLE>(_get_osfhandle(2)));
    impl_ = std::move(impl);
}

StdioCapture::~StdioCapture() {
    if (impl_) stop();
}

bool StdioCapture::active() const noexcept { return impl_ != nullptr; }

std::size_t StdioCapture::read(char* buffer, std::size_t size) {
    if (!impl_) return 0;
    Impl& s = *impl_;
    while (s.begin == s.end) {
        DWORD got = 0;
        if (s.stopping) {
            // Only what was in the pipe when the stop came: a child that keeps writing into it
            // must not keep the reader (and whoever waits for it) going.
            if (!s.drain_known) {
                if (s.read_pending) {
                    CancelIoEx(s.read_end, &s.overlapped);
                    const BOOL finished = GetOverlappedResult(s.read_end, &s.overlapped, &got, TRUE);
                    s.read_pending = false;
                    if (finished) {
                        s.begin = 0;
                        s.end = got;
                    }
                }
                DWORD available = 0;
                if (!PeekNamedPipe(s.read_end, nullptr, 0, nullptr, &available, nullptr)) available = 0;
                s.drain_left = available;
                s.drain_known = true;
                continue;
            }
            if (s.drain_left == 0 || !s.start(got, std::min<DWORD>(s.drain_left, sizeof s.chunk))) return 0;
            if (s.read_pending) {  // the bytes are there: it finishes without waiting for a writer
                const BOOL finished = GetOverlappedResult(s.read_end, &s.overlapped, &got, TRUE);
                s.read_pending = false;
                if (!finished) return 0;
            }
            s.drain_left -= std::min(s.drain_left, got);
            s.begin = 0;
            s.end = got;
            continue;
        }
        if (!s.read_pending) {
            if (!s.start(got)) return 0;
            if (!s.read_pending) {  // finished at once
                s.begin = 0;
                s.end = got;
                continue;
            }
        }
        const HANDLE waits[2] = {s.read_done, s.stop_event};
        const DWORD which = WaitForMultipleObjects(2, waits, FALSE, INFINITE);
        if (which == WAIT_OBJECT_0 + 1) {
            s.stopping = true;
            continue;
        }
        if (which != WAIT_OBJECT_0) return 0;
        const BOOL finished = GetOverlappedResult(s.read_end, &s.overlapped, &got, TRUE);
        s.read_pending = false;
        if (!finished) return 0;  // the pipe failed
        s.begin = 0;
        s.end = got;
    }
    const std::size_t n = std::min(size, s.end - s.begin);
    std::memcpy(buffer, s.chunk + s.begin, n);
    s.begin += n;
    return n;
}

void StdioCapture::stop() {
    if (!impl_ || impl_->stopped.exchange(true)) return;
    Impl& s = *impl_;
    std::fflush(stdout);  // what the C library still buffers belongs to the capture
    std::fflush(stderr);
    // Output goes where it went before; without a console there was nowhere, so fd 1 and 2 close.
    // _dup2 closed the original handles when the capture began: the standard handles become the
    // restored descriptors' (new) handles, or what they were where there was no descriptor.
    if (s.saved_out >= 0) _dup2(s.saved_out, 1); else _close(1);
    if (s.saved_err >= 0) _dup2(s.saved_err, 2); else _close(2);
    SetStdHandle(STD_OUTPUT_HANDLE, s.saved_out >= 0 ? reinterpret_cast<HANDLE>(_get_osfhandle(1)) : s.saved_out_handle);
    SetStdHandle(STD_ERROR_HANDLE, s.saved_err >= 0 ? reinterpret_cast<HANDLE>(_get_osfhandle(2)) : s.saved_err_handle);
    SetEvent(s.stop_event);
}

void StdioCapture::write_original(std::string_view data) {
    if (!impl_ || impl_->saved_err < 0) return;
    while (!data.empty()) {
        const int w = _write(impl_->saved_err, data.data(), static_cast<unsigned>(data.size()));
        if (w <= 0) return;
        data.remove_prefix(static_cast<std::size_t>(w));
    }
}

}  // namespace cello::engine::platform
