// Where the running program is, and how a list of directories is written in one variable
// (PYTHONPATH): the embedded interpreter finds the cello package relative to the executable.
// POSIX: /proc/self/exe and ':' (program_location_posix.cpp); Windows: GetModuleFileNameW and ';'
// (program_location_windows.cpp).
#pragma once

#include <filesystem>

namespace cello::engine::platform {

// The running executable's absolute path; empty if the system does not say.
std::filesystem::path executable_path();

#ifdef _WIN32
inline constexpr char kSearchPathSeparator = ';';
#else
inline constexpr char kSearchPathSeparator = ':';
#endif

}  // namespace cello::engine::platform
