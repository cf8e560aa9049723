// One engine thread: its io_context, its connections, its clock and Date header. Private to engine/.
#pragma once

#include "engine/dispatch.hpp"
#include "engine/route_table.hpp"
#include "engine/server_options.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace cello::engine::net {

class Connection;
class AsioThreadReactor;

class Worker {
public:
    Worker(const ServerOptions& options, std::shared_ptr<RouteTableHolder> routes, unsigned index);

    boost::asio::io_context& io() noexcept { return io_; }
    const ServerOptions& options() const noexcept { return options_; }

    // Starts the thread running the io_context; `on_exit` runs on it when it ends.
    void start(std::function<void()> on_exit);
    void join();
    // Posted from any thread: stop keeping connections alive and close idle ones.
    void begin_stop();

    // Hands a freshly accepted socket (already bound to io()) to this worker. Any thread.
    void adopt(boost::asio::ip::tcp::socket socket);

    // --- used by Connection, on this worker's thread only ---
    std::uint64_t tick() const noexcept { return tick_; }
    const std::string& date() const noexcept { return date_; }
    bool stopping() const noexcept { return stopping_; }
    // Current snapshot, refreshed when the holder's version moves.
    const std::shared_ptr<const RouteTable>& route_table();
    unsigned index() const noexcept { return index_; }
    void link(Connection* c) noexcept;
    void unlink(Connection* c) noexcept;
    void count_answer() noexcept { ++counts_.answered; }
    void websocket_opened() noexcept { ++counts_.websockets; }
    void websocket_closed() noexcept { --counts_.websockets; }
    void count_websocket_message() noexcept { ++counts_.websocket_messages; }
    // A connection's exchange suspended: on_watch_due() is called on the connections a little
    // later (one timer for the thread), so that only exchanges that last pay for reading beside
    // them. Most awaits (a query, a call) are over sooner.
    void watch_suspended();

private:
    bool at_capacity() const noexcept;  // ServerOptions::max_connections reached on this thread

    void run();
    void finished();  // stopped and no connection left: the thread's loop may end
    std::function<void()> on_exit_;
    void arm_sweep();
    void watch_due();
    void sweep();
    void refresh_date();

    const ServerOptions& options_;
    std::shared_ptr<RouteTableHolder> routes_;
    std::shared_ptr<const RouteTable> table_;
    std::uint64_t table_version_ = 0;
    unsigned index_;
    boost::asio::io_context io_{1};
    boost::asio::steady_timer sweep_timer_{io_};
    boost::asio::steady_timer watch_timer_{io_};
    bool watch_armed_ = false;
    std::thread thread_;
    std::uint64_t tick_ = 0;          // seconds since start, advanced by the sweep
    ThreadCounts counts_;             // for options.on_sweep
    std::uint64_t drain_deadline_ = 0;
    std::string date_;
    bool stopping_ = false;
    bool done_ = false;               // stopped and drained: run() is returning
    std::atomic<int> pending_adopts_{0};  // sockets handed over whose start is still queued
    Connection* head_ = nullptr;      // intrusive list of live connections
    std::size_t live_ = 0;            // its length
    AsioThreadReactor* reactor_ = nullptr;  // while a foreign loop drives this thread (options.drive)
    std::vector<std::function<void()>> at_finish_;  // net/engine_thread.hpp: at_engine_thread_finish()

    friend boost::asio::io_context* engine_thread_io() noexcept;
    friend void at_engine_thread_finish(std::function<void()> fn);
};

}  // namespace cello::engine::net
