// Loopback TCP for the unit tests, on Asio so that the same tests run on Linux and (cross-built,
// under wine) on Windows: a blocking client connection whose reads end at a deadline.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace cello::test {

class TestConnection {
public:
    enum class Got { Data, Timeout, Closed };  // Closed: an orderly close or a reset

    explicit TestConnection(std::uint16_t port) {
        boost::system::error_code ec;
        socket_.connect({boost::asio::ip::address_v4::loopback(), port}, ec);
        if (ec) socket_.close(ec);
    }

    bool connected() const { return socket_.is_open(); }

    bool send(std::string_view data) {
        boost::system::error_code ec;
        boost::asio::write(socket_, boost::asio::buffer(data.data(), data.size()), ec);
        return !ec;
    }

    // Appends what arrives before `deadline` to `into` (one read's worth).
    Got receive(std::string& into, std::chrono::steady_clock::time_point deadline) {
        char chunk[16384];
        bool done = false;
        boost::system::error_code result;
        std::size_t got = 0;
        socket_.async_read_some(boost::asio::buffer(chunk), [&](const boost::system::error_code& ec, std::size_t n) {
            done = true;
            result = ec;
            got = n;
        });
        io_.restart();
        io_.run_until(deadline);
        if (!done) {  // the deadline passed: the read is cancelled (its handler still runs, aborted)
            boost::system::error_code ignored;
            socket_.cancel(ignored);
            io_.restart();
            io_.run();
            if (result == boost::asio::error::operation_aborted) return Got::Timeout;
        }
        if (result) return Got::Closed;
        into.append(chunk, got);
        return Got::Data;
    }

private:
    boost::asio::io_context io_;
    boost::asio::ip::tcp::socket socket_{io_};
};

}  // namespace cello::test
