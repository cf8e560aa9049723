#include "engine/platform/program_location.hpp"

#include <system_error>

namespace cello::engine::platform {

std::filesystem::path executable_path() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);  // Linux's /proc
    return ec ? std::filesystem::path{} : exe;
}

}  // namespace cello::engine::platform
