// One keep-alive HTTP/1.1 connection of a worker: keeps up to `pipeline` requests in flight,
// parses responses with Beast and reports each to its worker.
#pragma once

#include "inspector/loadgen/client_transport.hpp"
#include "inspector/loadgen/load_connection.hpp"
#include "inspector/loadgen/response_counter.hpp"

#include <boost/beast/core/flat_buffer.hpp>

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
    void read();
    void on_read(std::size_t n);
    bool parse(Clock::time_point now);
    void send_batch();
    void complete(Clock::time_point now);

    ClientTransport transport_;
    boost::beast::flat_buffer buffer_;
    std::optional<ResponseCounter> parser_;
    std::vector<boost::asio::const_buffer> batch_;
};

}  // namespace cello::inspector::loadgen
