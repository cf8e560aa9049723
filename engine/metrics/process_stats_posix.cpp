#include "engine/metrics/process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace cello::engine {

std::optional<ProcessStats> read_process_stats() {
    // /proc/self/stat: the command name (field 2) is in parentheses and may itself contain spaces
    // or parentheses, so fields are counted from the last ')'. See proc(5).
    std::ifstream stat_file("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 1));
    std::string skip;
    unsigned long long utime = 0, stime = 0, starttime = 0, vsize = 0;
    long long rss_pages = 0;
    for (int field = 3; field <= 24; ++field) {
        switch (field) {
            case 14: fields >> utime; break;
            case 15: fields >> stime; break;
            case 22: fields >> starttime; break;
            case 23: fields >> vsize; break;
            case 24: fields >> rss_pages; break;
            default: fields >> skip;
        }
    }
    if (!fields) return std::nullopt;

    // The process start is given in clock ticks since boot; boot time (btime) is in /proc/stat.
    std::ifstream proc_stat("/proc/stat");
    unsigned long long boot_time = 0;
    for (std::string line; std::getline(proc_stat, line);) {
        if (line.rfind("btime ", 0) == 0) {
            boot_time = std::stoull(line.substr(6));
            break;
        }
    }

    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    ProcessStats s;
    s.cpu_seconds = static_cast<double>(utime + stime) / ticks;
    s.virtual_bytes = static_cast<double>(vsize);
    s.resident_bytes = static_cast<double>(rss_pages) * static_cast<double>(sysconf(_SC_PAGESIZE));
    s.start_time_seconds = static_cast<double>(boot_time) + static_cast<double>(starttime) / ticks;

    if (DIR* dir = opendir("/proc/self/fd")) {
        int n = 0;
        while (const dirent* e = readdir(dir))
            if (e->d_name[0] != '.') ++n;
        closedir(dir);
        s.open_fds = n - 1;  // not the descriptor opendir itself holds
    }
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) s.max_fds = static_cast<double>(limit.rlim_cur);
    return s;
}

}  // namespace cello::engine
