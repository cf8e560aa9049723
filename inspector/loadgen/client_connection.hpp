// One keep-alive HTTP/1.1 connection of a worker: keeps up to `pipeline` requests in flight,
// parses responses with Beast and reports each to its worker.
#pragma once

#include "inspector/loadgen/load_connection.hpp"
#include "inspector/loadgen/request_mix.hpp"
#include "inspector/loadgen/response_counter.hpp"
#include "inspector/loadgen/run_plan.hpp"

#include <boost/asio/ip/tcp.hpp>
#if CELLO_TLS
#include <boost/asio/ssl/stream.hpp>
#endif
#include <boost/beast/core/flat_buffer.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace cello::inspector::loadgen {

class ClientConnection final : public LoadConnection {
public:
    ClientConnection(Worker& worker, unsigned index);
    void connect() override;

private:
    void pump() override;
    void close_transport() override;
    void on_connected();
    void handshake();
    void read();
    void on_read(std::size_t n);
    bool parse(Clock::time_point now);
    void pump_open_loop(Clock::time_point now);
    void send_batch();
    void complete(Clock::time_point now);

    boost::asio::ip::tcp::socket socket_;
#if CELLO_TLS
    // https://: a stream per connection attempt, owning its socket; each pending operation holds
    // it, so a closed attempt's operations end on their own stream.
    using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
    std::shared_ptr<TlsStream> tls_;
#endif
    boost::beast::flat_buffer buffer_;
    std::optional<ResponseCounter> parser_;
    std::vector<boost::asio::const_buffer> batch_;
    MixPicker mix_;
    std::uint64_t next_k_ = 0;  // open loop: the next request of this connection's schedule
};

}  // namespace cello::inspector::loadgen
