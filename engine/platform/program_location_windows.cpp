#include "engine/platform/program_location.hpp"

#include <string>

#include <windows.h>

namespace cello::engine::platform {

std::filesystem::path executable_path() {
    // GetModuleFileNameW truncates (and returns the buffer's size) when the path does not fit:
    // grow until it does (long paths reach 32,767 characters).
    std::wstring buffer(MAX_PATH, L'\0');
    for (;;) {
        const DWORD n = GetModuleFileNameW(nullptr, buffer.data(), static_cast<DWORD>(buffer.size()));
        if (n == 0) return {};
        if (n < buffer.size()) {
            buffer.resize(n);
            return std::filesystem::path(buffer);
        }
        if (buffer.size() >= 32768) return {};
        buffer.resize(buffer.size() * 2);
    }
}

}  // namespace cello::engine::platform
