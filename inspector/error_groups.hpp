// The failures of a session, grouped: one group per exception type and place (the innermost app
// frame of its traceback), with how many times, on which routes, first and last seen, and the
// latest failure whole. Fed with the inspector's error rows; kept however much traffic follows
// (a viewer's Errors page). No Qt; single-threaded.
#pragma once

#include "inspector/snapshot.hpp"
#include "inspector/traceback_text.hpp"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace cello::inspector {

struct ErrorGroup {
    std::string exception_type;  // "ValueError"; "" when the record has no traceback
    std::string file, function;  // where: the innermost app frame ("" when unknown)
    int line = 0;
    std::uint64_t count = 0;
    std::int64_t first_ns = 0, last_ns = 0;
    std::vector<std::string> routes;  // route labels (or paths when unmatched), first seen first
    ErrorRow latest;                  // the latest failure: its message, traceback, request
    std::string place() const;        // "app.py:12 in get_user" ("" when unknown)
};

class ErrorGroups {
public:
    static constexpr std::size_t kMaxRoutesPerGroup = 20;

    explicit ErrorGroups(std::vector<std::string> framework_dirs = {}, std::size_t max_groups = 1000);

    // Folds one error row in; returns the index of its group. Past max_groups, failures of new
    // groups are only counted (ungrouped()).
    std::size_t add(const ErrorRow& e);
    // A poll's new error rows from the server that started at `server_started_ns`, with its count of
    // records it could not keep. Rows seen before are skipped (a viewer that attaches again is sent
    // the recent ones again); rows the server let go between two polls (a gap in their numbers) and
    // records it dropped are counted as unrecorded.
    void add_from(std::int64_t server_started_ns, const std::vector<ErrorRow>& rows, std::uint64_t dropped);
    void clear();

    const std::vector<ErrorGroup>& groups() const noexcept { return groups_; }  // first seen first
    std::uint64_t total() const noexcept { return total_; }                     // every failure added
    std::uint64_t ungrouped() const noexcept { return ungrouped_; }
    // Failures known only by number: no record of them reached this viewer.
    std::uint64_t unrecorded() const noexcept;
    const std::vector<std::string>& framework_dirs() const noexcept { return framework_dirs_; }

private:
    std::vector<std::string> framework_dirs_;
    std::size_t max_groups_;
    std::vector<ErrorGroup> groups_;
    std::unordered_map<std::string, std::size_t> index_;  // key: type, file, line
    std::uint64_t total_ = 0, ungrouped_ = 0;
    struct Server {
        std::uint64_t last_seq = 0, dropped = 0, dropped_before_clear = 0, gaps = 0;
    };
    std::unordered_map<std::int64_t, Server> servers_;  // by start time
};

}  // namespace cello::inspector
