#include "engine/telemetry/request_trace.hpp"

#include <algorithm>
#include <functional>

namespace cello::engine {

namespace {
std::string bounded(std::string_view s) {
    if (s.size() <= RequestTrace::kMaxTextBytes) return std::string(s);
    std::size_t n = RequestTrace::kMaxTextBytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // whole UTF-8 characters
    return std::string(s.substr(0, n)) + "…";
}
}  // namespace

void RequestTrace::add_query(std::string_view sql, std::int64_t start_ns, std::int64_t duration_ns,
                             std::int64_t rows, std::string_view error) {
    ++queries_;
    db_ns_ += std::max<std::int64_t>(0, duration_ns);
    // Repeats are counted on the whole text, so that a loop of one statement is seen however long.
    const std::uint32_t seen = ++repeats_[std::hash<std::string_view>{}(sql)];
    max_repeats_ = std::max(max_repeats_, seen);
    if (level_ != TraceLevel::Records || query_records_.size() >= kMaxQueries) return;
    query_records_.push_back({bounded(sql), start_ns, duration_ns, rows, bounded(error)});
}

void RequestTrace::add_log(std::int64_t start_ns, int level, std::string_view logger, std::string_view message) {
    ++logs_;
    if (level_ != TraceLevel::Records || log_records_.size() >= kMaxLogs) return;
    log_records_.push_back({start_ns, level, std::string(logger), bounded(message)});
}

}  // namespace cello::engine
