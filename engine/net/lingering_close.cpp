#include "engine/net/lingering_close.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <memory>

namespace cello::engine::net {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kDrainLimit = 1024 * 1024;
constexpr auto kDrainTime = std::chrono::seconds(2);

// Owned by its pending operations: gone once the socket is closed and they have returned.
struct Lingering {
    asio::ip::tcp::socket socket;
    asio::steady_timer timer;
    std::string farewell;
    std::array<char, 16 * 1024> sink{};
    std::size_t drained = 0;
    explicit Lingering(asio::ip::tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}

    void close() {
        boost::system::error_code ec;
        timer.cancel();
        socket.close(ec);
    }

    static void shut(const std::shared_ptr<Lingering>& l) {
        boost::system::error_code ignored;
        l->socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        l->timer.expires_after(kDrainTime);
        l->timer.async_wait([l](const boost::system::error_code& e) {
            if (!e) l->close();
        });
        drain(l);
    }

    static void drain(const std::shared_ptr<Lingering>& l) {
        l->socket.async_read_some(asio::buffer(l->sink), [l](const boost::system::error_code& ec, std::size_t n) {
            l->drained += n;
            if (ec || l->drained > kDrainLimit) return l->close();
            drain(l);
        });
    }
};

}  // namespace

void close_lingering(asio::ip::tcp::socket socket, std::string farewell) {
    auto l = std::make_shared<Lingering>(std::move(socket));
    if (l->farewell = std::move(farewell); l->farewell.empty()) return Lingering::shut(l);
    asio::async_write(l->socket, asio::buffer(l->farewell), [l](const boost::system::error_code& ec, std::size_t) {
        if (ec) return l->close();
        Lingering::shut(l);
    });
}

}  // namespace cello::engine::net
