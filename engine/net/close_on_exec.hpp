// Sockets the engine opens are not handed to programs the app starts (an editor opened from the
// studio, a subprocess): otherwise such a child keeps the listening port, and client connections,
// open after the server stops. Forked cluster workers still inherit them (fork, not exec).
#pragma once

namespace cello::engine::net {

// Marks a socket (its native handle) close-on-exec / not inheritable. Best effort: a failure only
// means the old behaviour.
void close_on_exec(long long native_handle) noexcept;

}  // namespace cello::engine::net
