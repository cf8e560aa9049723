// Which engine thread the caller runs on: for engine code outside a connection (a Redis
// connection per engine thread) that must run on that thread's reactor.
#pragma once

#include <boost/asio/io_context.hpp>

#include <functional>

namespace cello::engine::net {

// The io_context of the engine thread this runs on; null on any other thread, and once the
// thread is finishing.
boost::asio::io_context* engine_thread_io() noexcept;

// On an engine thread: `fn` runs on it when it finishes (stopped, its connections gone). Whatever
// keeps work on its reactor (a connection to Redis) must end then, or the thread would not.
void at_engine_thread_finish(std::function<void()> fn);

}  // namespace cello::engine::net
