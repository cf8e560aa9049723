#include "inspector/error_groups.hpp"

#include <algorithm>

namespace cello::inspector {

std::string ErrorGroup::place() const {
    if (file.empty()) return {};
    const auto slash = file.find_last_of("/\\");
    std::string s = (slash == std::string::npos ? file : file.substr(slash + 1)) + ":" + std::to_string(line);
    if (!function.empty()) s += " in " + function;
    return s;
}

ErrorGroups::ErrorGroups(std::vector<std::string> framework_dirs, std::size_t max_groups)
    : framework_dirs_(std::move(framework_dirs)), max_groups_(max_groups) {}

std::size_t ErrorGroups::add(const ErrorRow& e) {
    const std::uint64_t n = std::max<std::uint64_t>(e.count, 1);
    total_ += n;
    const ParsedTraceback tb = parse_traceback(e.traceback, framework_dirs_);
    // No traceback (a failure the engine saw, not Python): its message stands for the type.
    std::string type = !tb.exception_type.empty() ? tb.exception_type : e.message.substr(0, e.message.find(':'));
    const TracebackFrame* where = tb.location();
    std::string key = type + '\n' + (where ? where->file + '\n' + std::to_string(where->line) : e.route);
    auto it = index_.find(key);
    if (it == index_.end()) {
        if (groups_.size() >= max_groups_) {
            ungrouped_ += n;
            return groups_.size();
        }
        ErrorGroup g;
        g.exception_type = std::move(type);
        if (where) {
            g.file = where->file;
            g.function = where->function;
            g.line = where->line;
        }
        g.first_ns = e.time_ns;
        it = index_.emplace(std::move(key), groups_.size()).first;
        groups_.push_back(std::move(g));
    }
    ErrorGroup& g = groups_[it->second];
    g.count += n;
    g.first_ns = std::min(g.first_ns, e.time_ns);
    const std::int64_t last = std::max(e.last_ns, e.time_ns);
    if (last >= g.last_ns) {
        g.last_ns = last;
        g.latest = e;
    }
    const std::string route = e.route.empty() ? e.path.substr(0, e.path.find('?')) : e.route;
    if (g.routes.size() < kMaxRoutesPerGroup && std::find(g.routes.begin(), g.routes.end(), route) == g.routes.end())
        g.routes.push_back(route);
    return it->second;
}

void ErrorGroups::add_from(std::int64_t server_started_ns, const std::vector<ErrorRow>& rows, std::uint64_t dropped) {
    const auto [it, first_poll] = servers_.try_emplace(server_started_ns);
    Server& server = it->second;
    for (const ErrorRow& e : rows) {
        if (e.seq <= server.last_seq) continue;
        // Before the first poll there is no gap to speak of: those failures were before this viewer.
        if (!first_poll || server.last_seq) server.gaps += e.seq - server.last_seq - 1;
        server.last_seq = e.seq;
        add(e);
    }
    server.dropped = std::max(server.dropped, dropped);
}

std::uint64_t ErrorGroups::unrecorded() const noexcept {
    std::uint64_t n = 0;
    for (const auto& [started, server] : servers_) n += server.dropped - server.dropped_before_clear + server.gaps;
    return n;
}

void ErrorGroups::clear() {
    groups_.clear();
    index_.clear();
    total_ = ungrouped_ = 0;
    // Servers keep their last seen row (no replay after a clear); their losses so far are forgotten.
    for (auto& [started, server] : servers_) {
        server.gaps = 0;
        server.dropped_before_clear = server.dropped;
    }
}

}  // namespace cello::inspector
