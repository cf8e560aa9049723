// Where a Redis server is and how to use it: what RedisConfig (Python) comes down to.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace cello::engine {

struct RedisSettings {
    std::string host = "127.0.0.1";  // an address: names are resolved before (hiredis would block on DNS)
    std::uint16_t port = 6379;
    std::string username;  // Redis 6 ACL user; empty: the default user
    std::string password;  // empty: no AUTH
    int database = 0;      // SELECT
    // Before every key and the invalidation channel: servers that share a Redis share a prefix.
    std::string key_prefix = "cello:";
    std::chrono::milliseconds connect_timeout{5000};
    // A near miss waits this long for Redis before calling the handler; a connection whose
    // answers stop for longer than connect_timeout is closed and opened again.
    std::chrono::milliseconds lookup_timeout{100};

    std::string where() const { return host + ":" + std::to_string(port); }  // for messages
};

}  // namespace cello::engine
