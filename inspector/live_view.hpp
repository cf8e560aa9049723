// A viewer's running picture of an inspector: applies incremental snapshots (as polled from an
// Inspector or the HTTP API) and keeps the latest routes, cache tables and series plus bounded
// histories of requests, errors and reloads. Also the small computations the studio's pages need
// (the error behind a failed request, a histogram in a few bars). No Qt; single-threaded.
#pragma once

#include "inspector/snapshot.hpp"

#include <deque>

namespace cello::inspector {

struct HistogramBar {
    double from_ms = 0, to_ms = 0;
    std::uint64_t count = 0;
};

class LiveView {
public:
    explicit LiveView(std::size_t max_requests = 5000, std::size_t max_errors = 200, std::size_t max_reloads = 100);

    struct Delta {
        std::size_t new_requests = 0, new_errors = 0, new_reloads = 0;
        std::size_t dropped_requests = 0;  // oldest rows let go to stay within max_requests
        bool restarted = false;            // a different server run: histories were cleared
    };

    // The query for the next poll: only what is newer than what this view has.
    SnapshotQuery next_query() const;
    Delta apply(Snapshot s);
    void clear();

    const Snapshot& latest() const noexcept { return latest_; }  // its requests/errors/reloads: the last batch
    const std::deque<RequestRow>& requests() const noexcept { return requests_; }
    const std::deque<ErrorRow>& errors() const noexcept { return errors_; }
    const std::deque<ReloadRow>& reloads() const noexcept { return reloads_; }
    bool empty() const noexcept { return latest_.now_ns == 0; }

    // The recorded failure of a request (same method and route, status >= 500, closest in time
    // within 2 s); null when there is none.
    const ErrorRow* error_for(const RequestRow& r) const;

    void set_histogram_route(std::uint32_t id) noexcept { histogram_route_ = id; }

private:
    std::size_t max_requests_, max_errors_, max_reloads_;
    Snapshot latest_;
    std::deque<RequestRow> requests_;
    std::deque<ErrorRow> errors_;
    std::deque<ReloadRow> reloads_;
    std::uint32_t histogram_route_ = kUnmatchedRoute;
};

// Regroups a histogram's buckets ((lower bound ns, count), ascending) into at most `bars` bars of
// equal width on a log scale between the smallest and largest bucket.
std::vector<HistogramBar> histogram_bars(const std::vector<std::pair<std::int64_t, std::uint64_t>>& buckets,
                                         unsigned bars);
// The same in bands between `lo_ns` and `hi_ns` (e.g. spanning two runs, so that their bars line up);
// a bucket outside them counts in the first or last bar.
std::vector<HistogramBar> histogram_bars(const std::vector<std::pair<std::int64_t, std::uint64_t>>& buckets,
                                         unsigned bars, double lo_ns, double hi_ns);

}  // namespace cello::inspector
