// What a handler did besides answering, recorded only while an inspector is attached: its database
// queries and its log lines. The handler's language layer fills it (pyembed: cello.db and logging),
// the connection copies its counts into the request's event and, with detail capture on, hands the
// records to the inspector with the request's details.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cello::engine {

// How much a request's trace records: nothing (no inspector), counts for the event, or the
// statements and log lines too (detail capture on).
enum class TraceLevel : std::uint8_t { Off = 0, Counts = 1, Records = 2 };

struct QueryRecord {
    std::string sql;             // the statement as the handler wrote it; never its parameters
    std::int64_t start_ns = 0;   // since the handler started
    std::int64_t duration_ns = 0;
    std::int64_t rows = -1;      // rows returned, or changed by a statement; -1 when it failed
    std::string error;           // "IntegrityError: ..." when it failed
};

struct LogRecord {
    std::int64_t start_ns = 0;   // since the handler started
    int level = 0;               // Python's logging levels (10 DEBUG ... 50 CRITICAL)
    std::string logger;
    std::string message;
};

class RequestTrace {
public:
    static constexpr std::size_t kMaxQueries = 200;   // records kept per request; the rest only counted
    static constexpr std::size_t kMaxLogs = 200;
    static constexpr std::size_t kMaxTextBytes = 4096;  // one statement or log message

    explicit RequestTrace(TraceLevel level) noexcept : level_(level) {}

    void add_query(std::string_view sql, std::int64_t start_ns, std::int64_t duration_ns, std::int64_t rows,
                   std::string_view error);
    void add_log(std::int64_t start_ns, int level, std::string_view logger, std::string_view message);

    TraceLevel level() const noexcept { return level_; }
    std::uint32_t queries() const noexcept { return queries_; }
    std::int64_t db_ns() const noexcept { return db_ns_; }
    // How many times the most repeated statement ran (N+1 queries show as a high number).
    std::uint32_t max_repeats() const noexcept { return max_repeats_; }
    std::uint32_t logs() const noexcept { return logs_; }
    std::vector<QueryRecord>& query_records() noexcept { return query_records_; }
    std::vector<LogRecord>& log_records() noexcept { return log_records_; }

private:
    TraceLevel level_;
    std::uint32_t queries_ = 0, max_repeats_ = 0, logs_ = 0;
    std::int64_t db_ns_ = 0;
    std::unordered_map<std::size_t, std::uint32_t> repeats_;  // by the statement text's hash
    std::vector<QueryRecord> query_records_;
    std::vector<LogRecord> log_records_;
};

}  // namespace cello::engine
