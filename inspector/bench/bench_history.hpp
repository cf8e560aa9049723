// The studio's benchmark history: every run in one SQLite file. Plain C++ (no Qt); one owner
// thread (the GUI's), every call is a short transaction.
//
//   BenchHistory h("/path/bench-history.sqlite3");  // creates the file and schema if needed
//   auto id = h.save(run);  h.list();  h.load(id);  h.remove(id);
#pragma once

#include "inspector/bench/bench_run.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace cello::inspector::bench {

class BenchHistory {
public:
    static constexpr int kSchemaVersion = 3;  // 2: headers, paths, pipeline, timeout_s, max_p99_ms; 3: http2

    // Opens (creating the file and the schema if missing). Throws std::runtime_error with
    // SQLite's message when the file cannot be opened or is not a history of this version.
    explicit BenchHistory(const std::string& path);
    ~BenchHistory();
    BenchHistory(BenchHistory&&) noexcept;
    BenchHistory& operator=(BenchHistory&&) noexcept;

    const std::string& path() const noexcept { return path_; }

    std::int64_t save(const BenchRun& run);  // returns the new id (run.id is ignored)
    // Newest first, without report_json (tables need only the summary; load() has it all).
    std::vector<BenchRun> list() const;
    std::optional<BenchRun> load(std::int64_t id) const;
    bool remove(std::int64_t id);  // false when there was no such run

private:
    struct Closer {
        void operator()(sqlite3* db) const noexcept;
    };
    std::string path_;
    std::unique_ptr<sqlite3, Closer> db_;
};

}  // namespace cello::inspector::bench
