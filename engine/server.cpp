#include "engine/server.hpp"

#include "engine/net/close_on_exec.hpp"
#include "engine/net/worker.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <vector>

namespace cello::engine {

namespace asio = boost::asio;
using asio::ip::tcp;

struct Server::Impl {
    ServerOptions options;
    std::shared_ptr<RouteTableHolder> routes;
    std::vector<std::unique_ptr<net::Worker>> workers;
    std::unique_ptr<tcp::acceptor> acceptor;  // lives on worker 0's io_context
    std::unique_ptr<asio::steady_timer> retry_timer;
    std::size_t next_worker = 0;
    std::uint16_t bound_port = 0;
    bool started = false;
    std::atomic<bool> stop_requested{false};
    std::mutex exit_mutex;
    std::condition_variable exit_cv;
    unsigned running = 0;  // engine threads not yet ended

    void accept_next() {
        net::Worker& target = *workers[next_worker];
        next_worker = (next_worker + 1) % workers.size();
        // The peer socket is created on the target worker's io_context, so it never changes thread.
        acceptor->async_accept(target.io(), [this, &target](const boost::system::error_code& ec, tcp::socket s) {
            if (ec == asio::error::operation_aborted) return;
            if (!acceptor->is_open()) {
                // Accepted just before the stop closed the acceptor: the drain still answers it
                // (dropping it would reset a client the kernel had already connected).
                if (!ec) target.adopt(std::move(s));
                return;
            }
            if (ec) {
                // Out of descriptors and the like: back off instead of spinning.
                retry_timer->expires_after(std::chrono::milliseconds(100));
                retry_timer->async_wait([this](const boost::system::error_code& e) {
                    if (!e && acceptor->is_open()) accept_next();
                });
                return;
            }
            net::close_on_exec(s.native_handle());
            // The next accept first: if a client is already waiting, its completion is queued ahead
            // of this connection's start, whose handler might otherwise hold this thread first.
            accept_next();
            target.adopt(std::move(s));
        });
    }
};

Server::Server(ServerOptions options, std::shared_ptr<RouteTableHolder> routes) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    if (impl_->options.workers == 0) impl_->options.workers = 1;
    impl_->routes = std::move(routes);
}

Server::~Server() {
    if (impl_->started) {
        stop();
        join();
    }
}

void Server::start() {
    start_threads();
    listen();
}

void Server::start_threads() {
    Impl& s = *impl_;
    if (s.started) return;
    for (const auto& m : s.routes->current()->middleware()) m->prepare(s.options.workers);
    for (unsigned i = 0; i < s.options.workers; ++i)
        s.workers.push_back(std::make_unique<net::Worker>(s.options, s.routes, i));
    s.running = static_cast<unsigned>(s.workers.size());
    for (auto& w : s.workers) {
        w->start([&s] {
            std::lock_guard lock(s.exit_mutex);
            if (--s.running == 0) s.exit_cv.notify_all();
        });
    }
    s.started = true;
}

void Server::listen() {
    Impl& s = *impl_;
    if (s.stop_requested) return;  // stopped before it served: no socket to leave dangling
    const std::string where = s.options.host + ":" + std::to_string(s.options.port);
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(s.options.host, ec);
    if (ec) throw std::system_error(ec, "cannot listen on " + where + ": invalid address '" + s.options.host + "'");
    const tcp::endpoint endpoint(address, s.options.port);
    auto acceptor = std::make_unique<tcp::acceptor>(s.workers[0]->io());
    auto fail = [&](const char* step) {
        throw std::system_error(ec, std::string("cannot listen on ") + where + " (" + step + ")");
    };
    if (s.options.listen_fd >= 0) {
        acceptor->assign(endpoint.protocol(), static_cast<tcp::acceptor::native_handle_type>(s.options.listen_fd), ec);
        if (ec) fail("inherited socket");
    } else {
        acceptor->open(endpoint.protocol(), ec);
        if (ec) fail("socket");
        net::close_on_exec(acceptor->native_handle());
        acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
        if (ec) fail("SO_REUSEADDR");
        acceptor->bind(endpoint, ec);
        if (ec) fail("bind");
        acceptor->listen(asio::socket_base::max_listen_connections, ec);
        if (ec) fail("listen");
    }
    s.bound_port = acceptor->local_endpoint().port();
    s.acceptor = std::move(acceptor);
    s.retry_timer = std::make_unique<asio::steady_timer>(s.workers[0]->io());

    // Accepting starts on worker 0's thread: the acceptor is that io_context's.
    asio::post(s.workers[0]->io(), [&s] {
        if (!s.stop_requested) s.accept_next();
    });
}

void Server::stop() {
    Impl& s = *impl_;
    if (!s.started || s.stop_requested.exchange(true)) return;
    asio::post(s.workers[0]->io(), [&s] {
        boost::system::error_code ec;
        if (s.acceptor) s.acceptor->close(ec);
        if (s.retry_timer) s.retry_timer->cancel();
    });
    for (auto& w : s.workers) w->begin_stop();
}

void Server::join() {
    Impl& s = *impl_;
    for (auto& w : s.workers) w->join();
}

bool Server::wait_for(std::chrono::milliseconds timeout) {
    Impl& s = *impl_;
    std::unique_lock lock(s.exit_mutex);
    return s.exit_cv.wait_for(lock, timeout, [&s] { return s.running == 0; });
}

std::uint16_t Server::port() const noexcept { return impl_->bound_port; }
const ServerOptions& Server::options() const noexcept { return impl_->options; }

}  // namespace cello::engine
