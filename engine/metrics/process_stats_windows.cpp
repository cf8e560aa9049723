#include "engine/metrics/process_stats.hpp"

#include <cstdint>

#include <windows.h>
#include <psapi.h>

namespace cello::engine {

namespace {

std::uint64_t ticks(const FILETIME& f) noexcept {  // 100 ns units
    return (static_cast<std::uint64_t>(f.dwHighDateTime) << 32) | f.dwLowDateTime;
}

}  // namespace

std::optional<ProcessStats> read_process_stats() {
    const HANDLE self = GetCurrentProcess();
    FILETIME created{}, exited{}, kernel{}, user{};
    if (!GetProcessTimes(self, &created, &exited, &kernel, &user)) return std::nullopt;
    ProcessStats s;
    s.cpu_seconds = static_cast<double>(ticks(kernel) + ticks(user)) / 1e7;
    // FILETIME counts from 1601-01-01; the Unix epoch is 11,644,473,600 s later.
    s.start_time_seconds = static_cast<double>(ticks(created) - 116'444'736'000'000'000ULL) / 1e7;
    PROCESS_MEMORY_COUNTERS memory{};
    memory.cb = sizeof memory;
    if (GetProcessMemoryInfo(self, &memory, sizeof memory)) s.resident_bytes = static_cast<double>(memory.WorkingSetSize);
    MEMORYSTATUSEX status{};
    status.dwLength = sizeof status;
    if (GlobalMemoryStatusEx(&status))  // the address space this process has reserved or committed
        s.virtual_bytes = static_cast<double>(status.ullTotalVirtual - status.ullAvailVirtual);
    DWORD handles = 0;
    if (GetProcessHandleCount(self, &handles)) s.open_fds = static_cast<double>(handles);
    s.max_fds = 16'777'216;  // a process's handle limit (2^24): Windows has no soft limit to read
    return s;
}

}  // namespace cello::engine
