// A descriptor the engine does not own (the foreign loop's poller, a database socket) whose
// readiness is awaited on an io_context, and which is released, never closed. POSIX: Asio's
// stream_descriptor on any fd. Windows: Asio's socket (IOCP) on a SOCKET: what libpq hands out; a
// Windows event loop has no pollable descriptor of its own.
#pragma once

#include <boost/asio/io_context.hpp>
#ifdef _WIN32
#include <boost/asio/ip/tcp.hpp>
#else
#include <boost/asio/posix/stream_descriptor.hpp>
#endif

#include <utility>

namespace cello::engine::net {

class WaitableHandle {
public:
    explicit WaitableHandle(boost::asio::io_context& io) : handle_(io) {}
    WaitableHandle(boost::asio::io_context& io, int fd) : handle_(io) { assign(fd); }

    void assign(int fd) {
#ifdef _WIN32
        // (The protocol only matters to family-specific calls; a wait makes none.)
        handle_.assign(boost::asio::ip::tcp::v4(), static_cast<boost::asio::ip::tcp::socket::native_handle_type>(fd));
#else
        handle_.assign(fd);
#endif
    }
    bool is_open() const { return handle_.is_open(); }
    void cancel() {
        boost::system::error_code ec;
        handle_.cancel(ec);
    }
    void release() {  // stops watching; the descriptor stays open for its owner
#ifdef _WIN32
        boost::system::error_code ec;
        (void)handle_.release(ec);
#else
        (void)handle_.release();
#endif
    }
    template <class Handler>
    void async_wait(bool writable, Handler&& handler) {
#ifdef _WIN32
        using base = boost::asio::socket_base;
#else
        using base = boost::asio::posix::descriptor_base;
#endif
        handle_.async_wait(writable ? base::wait_write : base::wait_read, std::forward<Handler>(handler));
    }

private:
#ifdef _WIN32
    boost::asio::ip::tcp::socket handle_;
#else
    boost::asio::posix::stream_descriptor handle_;
#endif
};

}  // namespace cello::engine::net
