// Closing a connection whose client may still be sending: our side is shut (after a last answer,
// if any), and what arrives is read and dropped until the client closes, or 1 MiB or 2 seconds
// have passed, as nginx's lingering_close does. Closing with unread input at once would send a
// reset, which can destroy the answer before the client has read it.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <string>

namespace cello::engine::net {

// Takes the socket; `farewell` (may be empty) is written first.
void close_lingering(boost::asio::ip::tcp::socket socket, std::string farewell = {});

}  // namespace cello::engine::net
