// The process figures Prometheus expects from every exporter (process_* families).
#pragma once

#include <optional>

namespace cello::engine {

struct ProcessStats {
    double cpu_seconds = 0;         // user + system CPU time
    double resident_bytes = 0;
    double virtual_bytes = 0;
    double open_fds = 0;
    double max_fds = 0;             // the soft limit on open files
    double start_time_seconds = 0;  // since the Unix epoch
};

// Reads the current figures of this process; nullopt where they cannot be read. The only
// platform-specific function of the metrics: Linux reads /proc (process_stats_posix.cpp), Windows
// asks GetProcessTimes, GetProcessMemoryInfo and GetProcessHandleCount (process_stats_windows.cpp).
std::optional<ProcessStats> read_process_stats();

}  // namespace cello::engine
