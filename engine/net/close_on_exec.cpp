#include "engine/net/close_on_exec.hpp"

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#endif

namespace cello::engine::net {

void close_on_exec(long long native_handle) noexcept {
#ifdef _WIN32
    SetHandleInformation(reinterpret_cast<HANDLE>(native_handle), HANDLE_FLAG_INHERIT, 0);
#else
    ::fcntl(static_cast<int>(native_handle), F_SETFD, FD_CLOEXEC);  // the only descriptor flag
#endif
}

}  // namespace cello::engine::net
