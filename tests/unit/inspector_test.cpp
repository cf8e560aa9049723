// The inspector's aggregates: histogram accuracy, rolling window, bounded memory, rings.
#include "engine/telemetry/telemetry.hpp"
#include "inspector/event.hpp"
#include "inspector/inspect_api.hpp"
#include "inspector/inspector.hpp"
#include "inspector/snapshot_json.hpp"
#include "inspector/latency_histogram.hpp"
#include "inspector/recent_requests.hpp"
#include "inspector/route_stats.hpp"
#include "inspector/time_series.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace cello::inspector;

namespace {

constexpr std::int64_t kUs = 1'000;
constexpr std::int64_t kSec = 1'000'000'000;
constexpr std::int64_t kT0 = 1'700'000'000 * kSec;  // a fixed wall-clock start

void expect_within(std::int64_t got, double want, double rel) {
    EXPECT_LE(std::abs(static_cast<double>(got) - want), want * rel) << "got " << got << " want " << want;
}

// The exact percentile of sorted samples, with the histogram's rank rule.
std::int64_t exact_percentile(const std::vector<std::int64_t>& sorted, double p) {
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

RequestEvent event(std::uint32_t route, std::int64_t time_ns, std::int64_t latency_ns, int status = 200,
                   cello::engine::CacheOutcome cache = cello::engine::CacheOutcome::None) {
    RequestEvent e;
    e.route_id = route;
    e.time_ns = time_ns;
    e.latency_ns = latency_ns;
    e.status = static_cast<std::uint16_t>(status);
    e.cache = cache;
    e.bytes_in = 10;
    e.bytes_out = 100;
    return e;
}

}  // namespace

TEST(LatencyHistogram, EmptyIsZero) {
    LatencyHistogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.max(), 0);
    EXPECT_EQ(h.percentile(50), 0);
    EXPECT_EQ(h.percentile(100), 0);
}

TEST(LatencyHistogram, BucketsCoverRangeContiguously) {
    EXPECT_EQ(LatencyHistogram::kBucketCount, 2048u);
    for (unsigned i = 0; i + 1 < LatencyHistogram::kBucketCount; ++i) {
        ASSERT_EQ(LatencyHistogram::bucket_lower(i) + LatencyHistogram::bucket_width(i),
                  LatencyHistogram::bucket_lower(i + 1)) << i;
        ASSERT_EQ(LatencyHistogram::bucket_index(LatencyHistogram::bucket_lower(i)), i);
        if (i >= LatencyHistogram::kLinearBuckets) {
            const double rel = static_cast<double>(LatencyHistogram::bucket_width(i)) /
                               static_cast<double>(LatencyHistogram::bucket_lower(i));
            ASSERT_LE(rel, 1.0 / 64 + 1e-12);
        }
    }
    EXPECT_EQ(LatencyHistogram::bucket_index(-5), 0u);
    EXPECT_EQ(LatencyHistogram::bucket_index(1000 * kSec), LatencyHistogram::kBucketCount - 1);
    EXPECT_GE(LatencyHistogram::kHighestTrackable, 100 * kSec);
}

TEST(LatencyHistogram, UniformMicroseconds) {
    LatencyHistogram h;
    for (std::int64_t us = 1; us <= 10000; ++us) h.record(us * kUs);
    EXPECT_EQ(h.count(), 10000u);
    EXPECT_EQ(h.max(), 10000 * kUs);
    expect_within(h.percentile(50), 5000.0 * kUs, 0.01);
    expect_within(h.percentile(90), 9000.0 * kUs, 0.01);
    expect_within(h.percentile(99), 9900.0 * kUs, 0.01);
    EXPECT_EQ(h.percentile(100), 10000 * kUs);
    EXPECT_EQ(h.percentile(0), 1 * kUs);
}

TEST(LatencyHistogram, ExponentialMatchesSortedSamples) {
    std::mt19937_64 rng(12345);
    std::exponential_distribution<double> dist(1.0 / 2e6);  // mean 2 ms
    LatencyHistogram h;
    std::vector<std::int64_t> samples;
    for (int i = 0; i < 200000; ++i) {
        const auto v = static_cast<std::int64_t>(dist(rng)) + 1000;  // at least 1 us
        samples.push_back(v);
        h.record(v);
    }
    std::sort(samples.begin(), samples.end());
    for (double p : {10.0, 50.0, 90.0, 99.0, 99.9}) {
        expect_within(h.percentile(p), static_cast<double>(exact_percentile(samples, p)), 0.01);
    }
    EXPECT_EQ(h.max(), samples.back());
}

TEST(LatencyHistogram, ConstantValuesAreExact) {
    LatencyHistogram h;
    for (int i = 0; i < 1000; ++i) h.record(123'456'789);
    for (double p : {0.0, 1.0, 50.0, 99.0, 100.0}) EXPECT_EQ(h.percentile(p), 123'456'789);
    LatencyHistogram small;
    small.record(42, 7);
    EXPECT_EQ(small.count(), 7u);
    EXPECT_EQ(small.percentile(50), 42);
}

TEST(LatencyHistogram, HugeAndNegativeValuesAreClamped) {
    LatencyHistogram h;
    h.record(-10);
    h.record(500 * kSec);
    EXPECT_EQ(h.count(), 2u);
    EXPECT_EQ(h.max(), 500 * kSec);
    EXPECT_EQ(h.percentile(100), 500 * kSec);
    EXPECT_EQ(h.percentile(1), 0);
}

TEST(LatencyHistogram, MergeEqualsRecordingAll) {
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> dist(13.0, 1.5);
    LatencyHistogram a, b, all;
    for (int i = 0; i < 50000; ++i) {
        const auto v = static_cast<std::int64_t>(dist(rng));
        (i % 3 ? a : b).record(v);
        all.record(v);
    }
    LatencyHistogram merged;
    merged.merge(a);
    merged.merge(b);
    EXPECT_EQ(merged.count(), all.count());
    EXPECT_EQ(merged.max(), all.max());
    EXPECT_EQ(merged.min(), all.min());
    for (double p = 0; p <= 100; p += 0.5) ASSERT_EQ(merged.percentile(p), all.percentile(p)) << p;
    merged.reset();
    EXPECT_EQ(merged.count(), 0u);
    EXPECT_EQ(merged.percentile(50), 0);
}

TEST(RouteStats, CountsErrorsCacheAndBytes) {
    using cello::engine::CacheOutcome;
    RouteStats stats({.max_routes = 4, .window_seconds = 60});
    stats.record(event(1, kT0, 1 * kUs, 200, CacheOutcome::Hit));
    stats.record(event(1, kT0, 2 * kUs, 200, CacheOutcome::Hit));
    stats.record(event(1, kT0, 3 * kUs, 200, CacheOutcome::Hit));
    stats.record(event(1, kT0, 4 * kUs, 404, CacheOutcome::Miss));
    stats.record(event(1, kT0, 5 * kUs, 503, CacheOutcome::Bypass));
    stats.record(event(kUnmatchedRoute, kT0, 6 * kUs, 404));
    const auto s = stats.snapshot(1, kT0);
    EXPECT_EQ(s.route_id, 1u);
    EXPECT_EQ(s.total.count, 5u);
    EXPECT_EQ(s.total.errors_5xx, 1u);
    EXPECT_EQ(s.total.errors_4xx, 1u);
    EXPECT_EQ(s.window.count, 5u);
    EXPECT_EQ(s.window.errors_5xx, 1u);
    EXPECT_EQ(s.cache_hits, 3u);
    EXPECT_EQ(s.cache_misses, 1u);
    EXPECT_EQ(s.cache_bypass, 1u);
    EXPECT_DOUBLE_EQ(s.hit_ratio, 0.75);
    EXPECT_EQ(s.bytes_in, 50u);
    EXPECT_EQ(s.bytes_out, 500u);
    EXPECT_EQ(s.total.max_ns, 5 * kUs);
    const auto u = stats.unmatched_snapshot(kT0);
    EXPECT_EQ(u.route_id, kUnmatchedRoute);
    EXPECT_EQ(u.total.count, 1u);
    EXPECT_EQ(u.total.errors_4xx, 1u);
    EXPECT_EQ(stats.snapshot(2, kT0).total.count, 0u);
    EXPECT_EQ(stats.active_routes(), (std::vector<std::uint32_t>{1u, kUnmatchedRoute}));
}

TEST(RouteStats, RollingWindowForgetsOlderThanAMinute) {
    RouteStats stats({.max_routes = 2, .window_seconds = 60});
    // Slow requests at t0, fast ones 30 s and 90 s later.
    for (int i = 0; i < 100; ++i) stats.record(event(0, kT0 + i, 500 * kUs * 1000, 500));  // 500 ms
    for (int i = 0; i < 100; ++i) stats.record(event(0, kT0 + 30 * kSec, 1000 * kUs));     // 1 ms

    auto s = stats.snapshot(0, kT0 + 30 * kSec);
    EXPECT_EQ(s.window.count, 200u);
    EXPECT_EQ(s.window.errors_5xx, 100u);

    s = stats.snapshot(0, kT0 + 59 * kSec + kSec / 2);  // t0's second is still inside
    EXPECT_EQ(s.window.count, 200u);

    s = stats.snapshot(0, kT0 + 60 * kSec);  // t0's second has left the window
    EXPECT_EQ(s.window.count, 100u);
    EXPECT_EQ(s.window.errors_5xx, 0u);
    expect_within(s.window.p99_ns, 1000.0 * kUs, 0.01);
    EXPECT_EQ(s.total.count, 200u);
    expect_within(s.total.p99_ns, 500.0 * kUs * 1000, 0.01);

    // Time moves on with new events: the slot of t0 is reused, nothing older than 60 s counts.
    for (int i = 0; i < 10; ++i) stats.record(event(0, kT0 + 120 * kSec, 2000 * kUs));
    s = stats.snapshot(0, kT0 + 120 * kSec);
    EXPECT_EQ(s.window.count, 10u);
    expect_within(s.window.p50_ns, 2000.0 * kUs, 0.01);
    EXPECT_EQ(s.total.count, 210u);

    // A late event older than the slot it would land in is ignored by the window, kept in totals.
    stats.record(event(0, kT0 + 60 * kSec, 1 * kUs));
    EXPECT_EQ(stats.snapshot(0, kT0 + 120 * kSec).window.count, 10u);
    EXPECT_EQ(stats.snapshot(0, kT0 + 500 * kSec).window.count, 0u);
}

TEST(RouteStats, MemoryStaysBoundedWithManyRouteIds) {
    RouteStats stats({.max_routes = 64, .window_seconds = 60});
    const std::size_t slots = stats.slot_count();
    const std::size_t worst = stats.worst_case_bytes();
    EXPECT_EQ(slots, 65u);
    std::mt19937 rng(99);
    std::uniform_int_distribution<std::uint32_t> route(0, 10'063);
    for (int i = 0; i < 1'000'000; ++i) {
        // 1M events over 10k ids, most beyond the table: a long run, one event per 100 us.
        stats.record(event(route(rng), kT0 + i * 100 * kUs, (i % 1000 + 1) * kUs));
    }
    EXPECT_EQ(stats.slot_count(), slots);
    EXPECT_EQ(stats.worst_case_bytes(), worst);
    EXPECT_LE(stats.allocated_slots(), slots);
    EXPECT_EQ(stats.active_routes().size(), 65u);
    std::uint64_t in_table = 0;
    for (std::uint32_t id = 0; id < 64; ++id) in_table += stats.snapshot(id, kT0 + 100 * kSec).total.count;
    const auto overflow = stats.unmatched_snapshot(kT0 + 100 * kSec);
    EXPECT_EQ(in_table + overflow.total.count, 1'000'000u);
    EXPECT_GT(overflow.total.count, 990'000u);
    // Ids past the table read the same overflow slot.
    EXPECT_EQ(stats.snapshot(5000, kT0 + 100 * kSec).total.count, overflow.total.count);
    // The run lasts 100 s: the window holds only the last 60 s of it.
    EXPECT_LT(overflow.window.count, overflow.total.count);
    EXPECT_GT(overflow.window.count, 0u);
}

TEST(RecentRequests, KeepsExactlyTheLastN) {
    RecentRequests ring(5);
    EXPECT_EQ(ring.capacity(), 5u);
    EXPECT_TRUE(ring.snapshot().empty());
    for (int i = 0; i < 3; ++i) ring.push(event(0, i, i));
    auto snap = ring.snapshot();
    ASSERT_EQ(snap.size(), 3u);
    EXPECT_EQ(snap.front().time_ns, 0);
    for (int i = 3; i < 23; ++i) ring.push(event(0, i, i));
    snap = ring.snapshot();
    ASSERT_EQ(snap.size(), 5u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(snap[i].time_ns, 18 + i);
    EXPECT_EQ(ring.total_pushed(), 23u);
    EXPECT_EQ(ring.capacity(), 5u);
    EXPECT_EQ(RecentRequests().capacity(), 1000u);
    ring.clear();
    EXPECT_EQ(ring.size(), 0u);
}

TEST(TimeSeries, OneSecondBucketsForTheLastNSeconds) {
    using cello::engine::CacheOutcome;
    TimeSeries ts(10);
    EXPECT_EQ(TimeSeries().seconds(), 300u);
    for (int i = 0; i < 50; ++i) ts.record(event(0, kT0 + i, 100 * kUs, 200, i % 5 ? CacheOutcome::Hit : CacheOutcome::Miss));
    for (int i = 0; i < 20; ++i) ts.record(event(0, kT0 + 3 * kSec, 10 * kUs, 500));
    auto pts = ts.points(kT0 + 3 * kSec);
    ASSERT_EQ(pts.size(), 10u);
    EXPECT_EQ(pts.back().second, kT0 / kSec + 3);
    EXPECT_EQ(pts.back().requests, 20u);
    EXPECT_EQ(pts.back().errors_5xx, 20u);
    const auto& first = pts[pts.size() - 4];
    EXPECT_EQ(first.requests, 50u);
    EXPECT_DOUBLE_EQ(first.hit_ratio, 0.8);
    expect_within(first.p50_ns, 100.0 * kUs, 0.01);
    expect_within(first.p99_ns, 100.0 * kUs, 0.01);
    EXPECT_EQ(pts[pts.size() - 2].requests, 0u);
    // Ten seconds on, t0's second is gone; its bucket is reused by a new second.
    pts = ts.points(kT0 + 10 * kSec);
    EXPECT_EQ(pts.front().second, kT0 / kSec + 1);
    std::uint64_t total = 0;
    for (const auto& p : pts) total += p.requests;
    EXPECT_EQ(total, 20u);
    ts.record(event(0, kT0 + 10 * kSec, 1 * kUs));
    ts.record(event(0, kT0, 1 * kUs));  // too old now: dropped
    pts = ts.points(kT0 + 10 * kSec);
    EXPECT_EQ(pts.back().requests, 1u);
}

TEST(RequestEvent, PathIsCutToCapacity) {
    RequestEvent e;
    e.set_path("/users/42");
    EXPECT_EQ(e.path(), "/users/42");
    EXPECT_FALSE(e.path_truncated);
    const std::string long_path = "/" + std::string(200, 'x');
    e.set_path(long_path);
    EXPECT_EQ(e.path().size(), RequestEvent::kPathCapacity);
    EXPECT_EQ(e.path(), std::string_view(long_path).substr(0, RequestEvent::kPathCapacity));
    EXPECT_TRUE(e.path_truncated);
    // A two-byte character across the cut is dropped whole, not halved.
    const std::string accented = "/" + std::string(RequestEvent::kPathCapacity - 2, 'a') + "\xc3\xa9tail";
    e.set_path(accented);
    EXPECT_EQ(e.path().size(), RequestEvent::kPathCapacity - 1);
    EXPECT_EQ(e.path().back(), 'a');
}

TEST(EventRing, DrainsInOrderAndCountsDropsWhenFull) {
    cello::engine::EventRing ring(5);  // rounded up to 8
    ASSERT_EQ(ring.capacity(), 8u);
    for (int i = 0; i < 10; ++i) {
        RequestEvent e;
        e.status = static_cast<std::uint16_t>(200 + i);
        const bool pushed = ring.push(e);
        EXPECT_EQ(pushed, i < 8) << i;
    }
    EXPECT_EQ(ring.dropped(), 2u);
    std::vector<int> seen;
    EXPECT_EQ(ring.drain([&](const RequestEvent& e) { seen.push_back(e.status); }, 3), 3u);
    EXPECT_EQ(seen, (std::vector<int>{200, 201, 202}));
    RequestEvent e;
    e.status = 299;
    EXPECT_TRUE(ring.push(e));  // room again
    seen.clear();
    EXPECT_EQ(ring.drain([&](const RequestEvent& ev) { seen.push_back(ev.status); }), 6u);
    EXPECT_EQ(seen, (std::vector<int>{203, 204, 205, 206, 207, 299}));
    EXPECT_EQ(ring.drain([](const RequestEvent&) {}), 0u);
}

TEST(EventRing, OneProducerOneConsumerLoseNothingCounted) {
    cello::engine::EventRing ring(1024);
    constexpr std::uint64_t kEvents = 200000;
    std::thread producer([&] {
        for (std::uint64_t i = 0; i < kEvents; ++i) {
            RequestEvent e;
            e.bytes_in = i;
            ring.push(e);
        }
    });
    std::uint64_t received = 0, last = 0;
    bool ordered = true;
    auto take = [&](const RequestEvent& e) {
        if (received && e.bytes_in <= last) ordered = false;
        last = e.bytes_in;
        ++received;
    };
    while (received + ring.dropped() < kEvents) ring.drain(take);
    producer.join();
    ring.drain(take);
    EXPECT_TRUE(ordered);
    EXPECT_EQ(received + ring.dropped(), kEvents);  // every event is either delivered or counted
}

TEST(Telemetry, ErrorQueueIsBounded) {
    cello::engine::Telemetry t(2, 64);
    for (std::size_t i = 0; i < cello::engine::Telemetry::kMaxQueuedErrors + 10; ++i) {
        cello::engine::ErrorRecord r;
        r.status = 500;
        r.path = "/e/" + std::to_string(i);
        r.body_preview = std::string(5000, 'b');
        r.traceback = "Traceback (most recent call last):\n  File \"app.py\", line " + std::to_string(i) + "\nE: x\n";
        t.record_error(std::move(r));
    }
    EXPECT_EQ(t.dropped_errors(), 10u);
    auto errors = t.take_errors();
    ASSERT_EQ(errors.size(), cello::engine::Telemetry::kMaxQueuedErrors);
    EXPECT_EQ(errors.front().path, "/e/10");  // the oldest were dropped
    EXPECT_EQ(errors.front().body_preview.size(), cello::engine::Telemetry::kBodyPreviewBytes);
    EXPECT_TRUE(t.take_errors().empty());
}

TEST(WebSocketRegistry, ListsOpenConnectionsCountsTheirMessagesAndKeepsTheLastClosed) {
    using cello::engine::WebSocketRegistry;
    WebSocketRegistry reg;
    cello::engine::WebSocketRecord r;
    r.target = "/ws";
    r.client = "127.0.0.1:5000";
    r.messages_in = 99;  // ignored: a connection opens with no messages
    auto [first, a] = reg.opened(r);
    auto [second, b] = reg.opened(r);
    EXPECT_EQ(second, first + 1);
    a->received(10);
    a->received(5);
    a->sent(7);
    b->sent(1);
    auto l = reg.list();
    ASSERT_EQ(l.open.size(), 2u);
    EXPECT_EQ(l.open[0].id, first);
    EXPECT_EQ(l.open[0].messages_in, 2u);
    EXPECT_EQ(l.open[0].bytes_in, 15u);
    EXPECT_EQ(l.open[0].messages_out, 1u);
    EXPECT_EQ(l.open[0].bytes_out, 7u);
    EXPECT_EQ(l.open[0].closed_ns, 0);
    EXPECT_GT(l.open[0].opened_ns, 0);
    EXPECT_EQ(l.opened_total, 2u);
    EXPECT_EQ(l.messages_in, 2u);
    EXPECT_EQ(l.messages_out, 2u);

    reg.closed(first, 4000, "bye");
    reg.closed(first, 1000, "again");  // once only
    l = reg.list();
    ASSERT_EQ(l.open.size(), 1u);
    ASSERT_EQ(l.closed.size(), 1u);
    EXPECT_EQ(l.closed[0].close_code, 4000);
    EXPECT_EQ(l.closed[0].close_reason, "bye");
    EXPECT_EQ(l.closed[0].messages_in, 2u);
    EXPECT_GE(l.closed[0].closed_ns, l.closed[0].opened_ns);
    EXPECT_EQ(l.messages_in, 2u);  // an ended connection's messages still count
    EXPECT_EQ(l.messages_out, 2u);

    // Bounded: only the last kRecentClosed ended connections are kept.
    for (std::size_t i = 0; i < WebSocketRegistry::kRecentClosed + 5; ++i) {
        auto [id, c] = reg.opened(r);
        c->received(1);
        reg.closed(id, 1000, "");
    }
    l = reg.list();
    EXPECT_EQ(l.closed.size(), WebSocketRegistry::kRecentClosed);
    EXPECT_EQ(l.closed.back().id, l.opened_total);
    EXPECT_EQ(l.messages_in, 2u + WebSocketRegistry::kRecentClosed + 5);
    EXPECT_EQ(l.open.size(), 1u);
}

TEST(Telemetry, AFullQueueFoldsRepeatsOfOneFailureIntoACount) {
    cello::engine::Telemetry t(1, 64);
    auto failure = [](std::string message, std::int64_t at, std::string line = "7") {
        cello::engine::ErrorRecord r;
        r.route_id = 3;
        r.time_ns = at;
        r.path = "/users/" + std::to_string(at);
        r.message = message;
        r.traceback = "Traceback (most recent call last):\n  File \"app.py\", line " + line + ", in get\n" + message + "\n";
        return r;
    };
    const std::size_t full = cello::engine::Telemetry::kMaxQueuedErrors;
    for (std::size_t i = 0; i < full; ++i) t.record_error(failure("KeyError: " + std::to_string(i), 1));
    // Full: the same failure (another message, same type and stack) is counted on a queued record...
    for (int i = 0; i < 1000; ++i) t.record_error(failure("KeyError: 9999", 100 + i));
    EXPECT_EQ(t.dropped_errors(), 0u);
    // ...another exception type, another stack, another route are not the same failure.
    t.record_error(failure("ValueError: 1", 5000));
    t.record_error(failure("KeyError: 1", 5001, "8"));
    auto other_route = failure("KeyError: 1", 5002);
    other_route.route_id = 4;
    t.record_error(std::move(other_route));
    EXPECT_EQ(t.dropped_errors(), 3u);
    const auto errors = t.take_errors();
    std::uint64_t counted = 0;
    for (const auto& e : errors) counted += e.count;
    EXPECT_EQ(counted, full + 1000 + 3 - 3);  // every failure but the 3 dropped records' is counted
    const auto folded = std::find_if(errors.begin(), errors.end(), [](const auto& e) { return e.count > 1; });
    ASSERT_NE(folded, errors.end());
    // Taken, repeats are folded whatever their order: the 253 queued KeyErrors at line 7 and the
    // 1000 folded into the last of them are one record.
    EXPECT_EQ(errors.size(), 4u);
    EXPECT_EQ(folded->count, 1253u);
    EXPECT_EQ(folded->last_ns, 1099);
    EXPECT_EQ(folded->message, "KeyError: 9999");  // the latest
    EXPECT_EQ(folded->time_ns, 1);                 // the first's
}

// -- the Inspector: events in, snapshots out ------------------------------------------------------

namespace {

std::shared_ptr<cello::engine::RouteTable> table_of(std::initializer_list<const char*> patterns) {
    auto t = std::make_shared<cello::engine::RouteTable>();
    for (const char* p : patterns) {
        cello::engine::Route r;
        r.method = cello::engine::Method::Get;
        r.pattern = p;
        r.name = std::string("h") + p;
        r.source = std::string("/app/site.py:") + std::to_string(std::string_view(p).size());
        t->add(std::move(r));
    }
    return t;
}

RequestEvent routed(const cello::engine::RouteTable& table, std::uint32_t route_id, std::int64_t latency_ns,
                    int status = 200, const char* path = "/x") {
    RequestEvent e;
    e.table_generation = table.generation();
    e.route_id = route_id;
    e.latency_ns = latency_ns;
    e.status = static_cast<std::uint16_t>(status);
    e.method = 0;
    e.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
    e.set_path(path);
    return e;
}

const RouteRow& row(const Snapshot& s, const std::string& pattern) {
    for (const auto& r : s.routes)
        if (r.info.pattern == pattern) return r;
    throw std::runtime_error("no route " + pattern);
}

}  // namespace

TEST(Inspector, RouteStatsFollowTheLabelAcrossReloads) {
    Inspector ins(InspectorConfig{.threads = 2});
    const auto first = table_of({"/a", "/b"});
    ins.set_routes(*first);
    ins.telemetry()->ring(0).push(routed(*first, 0, 1000));  // /a
    ins.telemetry()->ring(1).push(routed(*first, 1, 2000));  // /b
    ins.drain_now();
    // The new table drops /a and puts /c first: engine ids move, the inspector's slots do not.
    const auto second = table_of({"/c", "/b"});
    ins.set_routes(*second);
    // Answered on the old table after the swap (in flight, a long stream): still /a, not /c.
    ins.telemetry()->ring(0).push(routed(*first, 0, 5000));
    ins.telemetry()->ring(0).push(routed(*second, 1, 3000));  // /b, id 1 in the new table too
    ins.telemetry()->ring(0).push(routed(*second, 0, 4000, 500));  // /c
    ins.drain_now();
    const Snapshot s = ins.snapshot();
    EXPECT_EQ(s.requests_total, 5u);
    EXPECT_EQ(row(s, "/a").stats.total.count, 2u);
    EXPECT_FALSE(row(s, "/a").live);
    EXPECT_EQ(row(s, "/b").stats.total.count, 2u);
    EXPECT_TRUE(row(s, "/b").live);
    EXPECT_EQ(row(s, "/c").stats.total.errors_5xx, 1u);
    EXPECT_EQ(row(s, "/c").info.file, "/app/site.py");
    EXPECT_EQ(row(s, "/c").info.line, 2);
    ASSERT_EQ(s.requests.size(), 5u);
    EXPECT_EQ(s.requests[2].route, "GET /a");
    EXPECT_EQ(s.requests[3].route, "GET /b");
    EXPECT_EQ(s.requests[4].route, "GET /c");
    EXPECT_EQ(row(s, "/c").stats.total.count, 1u);
}

TEST(Inspector, MemoryStaysBoundedWithManyPathsAndRoutes) {
    InspectorConfig config;
    config.max_routes = 8;
    config.recent_requests = 100;
    Inspector ins(config);
    // More routes than slots: the surplus shares the unmatched slot, nothing grows per path.
    auto t = std::make_shared<cello::engine::RouteTable>();
    for (int i = 0; i < 20; ++i) {
        cello::engine::Route r;
        r.pattern = "/r" + std::to_string(i) + "/{id}";
        t->add(std::move(r));
    }
    ins.set_routes(*t);
    for (int round = 0; round < 50; ++round) {
        for (std::uint32_t i = 0; i < 1000; ++i) {
            const std::string path = "/r" + std::to_string(i % 20) + "/" + std::to_string(round * 1000 + i);
            ins.telemetry()->ring(0).push(routed(*t, i % 20, 1000 + i, 200, path.c_str()));
        }
        ins.drain_now();
    }
    const Snapshot s = ins.snapshot();
    EXPECT_EQ(s.requests_total, 50000u);
    EXPECT_EQ(s.routes.size(), 9u);  // 8 slots + unmatched
    EXPECT_EQ(s.requests.size(), 100u);
    std::uint64_t counted = 0;
    for (const auto& r : s.routes) counted += r.stats.total.count;
    EXPECT_EQ(counted, 50000u);
}

TEST(Inspector, DropsAreCountedNotBlocking) {
    InspectorConfig config;
    config.ring_capacity = 16;
    Inspector ins(config);
    const auto t = table_of({"/a"});
    ins.set_routes(*t);
    for (int i = 0; i < 100; ++i) ins.telemetry()->ring(0).push(routed(*t, 0, 10));
    ins.drain_now();
    const Snapshot s = ins.snapshot();
    EXPECT_EQ(s.requests_total, 16u);
    EXPECT_EQ(s.dropped_events, 84u);
}

TEST(Inspector, ErrorsReloadsAndJsonRoundTrip) {
    Inspector ins;
    const auto t = table_of({"/a"});
    ins.set_routes(*t);
    cello::engine::ErrorRecord err;
    err.table_generation = t->generation();
    err.route_id = 0;
    err.method = 2;
    err.path = "/a?q=\xff";  // invalid UTF-8 from a client must not break the JSON
    err.message = "ValueError: x";
    err.traceback = "Traceback (most recent call last):\n  ...\nValueError: x\n";
    err.headers = {{"Host", "h"}};
    ins.telemetry()->record_error(std::move(err));
    ins.telemetry()->ring(0).push(routed(*t, 0, 123456, 500, "/a"));
    ins.record_reload(false, 12.5, 1, "SyntaxError: bad");
    cello::engine::WebSocketRecord ws;  // one open WebSocket on /a's route, one ended
    ws.table_generation = t->generation();
    ws.route_id = 0;
    ws.target = "/a?x=1";
    ws.client = "127.0.0.1:4000";
    auto [open_id, open_counts] = ins.telemetry()->websockets().opened(ws);
    open_counts->received(3);
    open_counts->sent(4);
    const auto closed_id = ins.telemetry()->websockets().opened(ws).first;
    ins.telemetry()->websockets().closed(closed_id, 1001, "going");
    ins.drain_now();
    SnapshotQuery q;
    q.with_histogram = true;
    q.histogram_route = 0;
    const Snapshot s = ins.snapshot(q);
    ASSERT_EQ(s.errors.size(), 1u);
    EXPECT_EQ(s.errors[0].route, "GET /a");
    EXPECT_EQ(s.errors[0].method, "POST");
    ASSERT_EQ(s.histogram.size(), 1u);
    EXPECT_EQ(s.histogram[0].second, 1u);

    const Snapshot back = snapshot_from_json(to_json(s));
    EXPECT_EQ(back.requests_total, s.requests_total);
    ASSERT_EQ(back.routes.size(), s.routes.size());
    EXPECT_EQ(back.routes[0].info.label(), "GET /a");
    EXPECT_EQ(back.routes[0].stats.total.count, 1u);
    EXPECT_NEAR(back.routes[0].stats.total.p50_ns, s.routes[0].stats.total.p50_ns, 1);
    ASSERT_EQ(back.errors.size(), 1u);
    EXPECT_EQ(back.errors[0].traceback, s.errors[0].traceback);
    EXPECT_EQ(back.errors[0].count, 1u);
    EXPECT_EQ(back.errors[0].last_ns / 1000, s.errors[0].last_ns / 1000);
    EXPECT_EQ(back.errors[0].path.substr(0, 5), "/a?q=");
    ASSERT_EQ(back.reloads.size(), 1u);
    EXPECT_FALSE(back.reloads[0].ok);
    EXPECT_EQ(back.reloads[0].error, "SyntaxError: bad");
    EXPECT_EQ(back.histogram, s.histogram);
    EXPECT_EQ(back.requests[0].path, "/a");
    EXPECT_EQ(s.websockets.open, 1u);
    EXPECT_EQ(back.websockets.open, 1u);
    EXPECT_EQ(back.websockets.opened_total, 2u);
    EXPECT_EQ(back.websockets.messages_in, 1u);
    ASSERT_EQ(back.websockets.connections.size(), 1u);
    const auto& w = back.websockets.connections[0];
    EXPECT_EQ(w.id, open_id);
    EXPECT_EQ(w.route, "GET /a");
    EXPECT_EQ(w.path, "/a?x=1");
    EXPECT_EQ(w.client, "127.0.0.1:4000");
    EXPECT_EQ(w.bytes_in, 3u);
    EXPECT_EQ(w.bytes_out, 4u);
    EXPECT_EQ(w.closed_ns, 0);
    ASSERT_EQ(back.websockets.closed.size(), 1u);
    EXPECT_EQ(back.websockets.closed[0].close_code, 1001);
    EXPECT_EQ(back.websockets.closed[0].close_reason, "going");
    EXPECT_NE(back.websockets.closed[0].closed_ns, 0);
    EXPECT_THROW(snapshot_from_json("{\"version\": 2}"), std::invalid_argument);
    EXPECT_THROW(snapshot_from_json("not json"), std::invalid_argument);
}

TEST(InspectApi, ConstantTimeEquals) {
    EXPECT_TRUE(constant_time_equals("abc", "abc"));
    EXPECT_FALSE(constant_time_equals("abc", "abd"));
    EXPECT_FALSE(constant_time_equals("abc", "abcd"));
    EXPECT_FALSE(constant_time_equals("", "a"));
    const auto t = InspectApi::generate_token();
    EXPECT_EQ(t.size(), 32u);
    EXPECT_NE(t, InspectApi::generate_token());
}

TEST(Inspector, CapturedDetailsJoinTheirRequest) {
    Inspector ins;
    const auto t = table_of({"/a"});
    ins.set_routes(*t);
    EXPECT_FALSE(ins.capturing());
    ins.set_capture(true);
    EXPECT_TRUE(ins.telemetry()->capturing());
    RequestEvent with = routed(*t, 0, 1000, 200, "/a");
    with.detail_seq = 7;
    RequestEvent without = routed(*t, 0, 1000, 200, "/a");
    cello::engine::DetailRecord d;
    d.thread = 0;
    d.seq = 7;
    d.query = "x=1";
    d.headers = {{"Host", "h"}, {"X-Y", "z"}};
    d.response_headers = {{"Content-Type", "application/json"}};
    d.body_preview = "{\"k\": 1}";
    d.response_preview = std::string(cello::engine::Telemetry::kResponsePreviewBytes + 100, 'r');
    d.response_size = cello::engine::Telemetry::kResponsePreviewBytes + 100;
    ins.telemetry()->record_detail(d);
    ins.telemetry()->ring(0).push(with);
    ins.telemetry()->ring(0).push(without);
    ins.drain_now();
    const Snapshot s = ins.snapshot();
    ASSERT_EQ(s.requests.size(), 2u);
    EXPECT_TRUE(s.requests[0].has_detail);
    EXPECT_EQ(s.requests[0].query, "x=1");
    EXPECT_EQ(s.requests[0].headers.size(), 2u);
    EXPECT_EQ(s.requests[0].response_headers[0].second, "application/json");
    EXPECT_EQ(s.requests[0].body_preview, "{\"k\": 1}");
    EXPECT_FALSE(s.requests[1].has_detail);
    const Snapshot back = snapshot_from_json(to_json(s));
    EXPECT_TRUE(back.requests[0].has_detail);
    EXPECT_EQ(back.requests[0].headers, s.requests[0].headers);
    EXPECT_EQ(back.requests[0].body_preview, s.requests[0].body_preview);
    // The response body: cut to its preview, its whole size said.
    EXPECT_EQ(s.requests[0].response_preview.size(), cello::engine::Telemetry::kResponsePreviewBytes);
    EXPECT_EQ(back.requests[0].response_preview, s.requests[0].response_preview);
    EXPECT_EQ(back.requests[0].response_size, cello::engine::Telemetry::kResponsePreviewBytes + 100);
    EXPECT_FALSE(back.requests[0].response_streamed);
    EXPECT_FALSE(back.requests[1].has_detail);
}

TEST(RequestTrace, CountsRepeatsAndKeepsBoundedRecords) {
    using cello::engine::RequestTrace;
    using cello::engine::TraceLevel;
    RequestTrace counts(TraceLevel::Counts);
    counts.add_query("SELECT 1", 0, 500, 1, "");
    counts.add_log(0, 30, "app", "hello");
    EXPECT_EQ(counts.queries(), 1u);
    EXPECT_EQ(counts.db_ns(), 500);
    EXPECT_TRUE(counts.query_records().empty());  // counts only: no texts kept
    EXPECT_TRUE(counts.log_records().empty());

    RequestTrace full(TraceLevel::Records);
    for (std::size_t i = 0; i < RequestTrace::kMaxQueries + 10; ++i)
        full.add_query(i % 2 ? "SELECT a FROM t WHERE id = ?" : "SELECT b", static_cast<std::int64_t>(i), 1000, 1, "");
    full.add_query(std::string(RequestTrace::kMaxTextBytes + 50, 'x'), 0, -5, -1, "ProgrammingError: no");
    EXPECT_EQ(full.queries(), RequestTrace::kMaxQueries + 11);
    EXPECT_EQ(full.max_repeats(), (RequestTrace::kMaxQueries + 10) / 2);
    EXPECT_EQ(full.db_ns(), static_cast<std::int64_t>(RequestTrace::kMaxQueries + 10) * 1000);  // negative: 0
    ASSERT_EQ(full.query_records().size(), RequestTrace::kMaxQueries);
    EXPECT_EQ(full.query_records()[1].sql, "SELECT a FROM t WHERE id = ?");

    RequestTrace cut(TraceLevel::Records);
    cut.add_query(std::string(RequestTrace::kMaxTextBytes - 1, 'x') + "é", 0, 1, -1, "");
    ASSERT_EQ(cut.query_records().size(), 1u);
    const std::string& sql = cut.query_records()[0].sql;
    EXPECT_EQ(sql, std::string(RequestTrace::kMaxTextBytes - 1, 'x') + "…");  // never half a character
}

TEST(Inspector, DatabaseQueriesPerRequestAndRoute) {
    Inspector ins;
    const auto t = table_of({"/a", "/b"});
    ins.set_routes(*t);
    ins.set_capture(true);
    RequestEvent n1 = routed(*t, 0, 1000, 200, "/a");
    n1.db_queries = 11;
    n1.db_repeats = 10;
    n1.db_us = 2500;
    n1.detail_seq = 3;
    RequestEvent one = routed(*t, 0, 1000, 200, "/a");
    one.db_queries = 1;
    one.db_repeats = 1;
    one.db_us = 100;
    RequestEvent none = routed(*t, 1, 1000, 200, "/b");
    cello::engine::DetailRecord d;
    d.seq = 3;
    d.queries = {{"SELECT 1", 10, 2000, 1, ""}, {"SELECT nope", 3000, 500, -1, "ProgrammingError: nope"}};
    d.logs = {{1500, 30, "shop", "careful"}};
    d.logs_total = 1;
    ins.telemetry()->record_detail(d);
    for (const auto& e : {n1, one, none}) ins.telemetry()->ring(0).push(e);
    ins.drain_now();
    const Snapshot s = ins.snapshot();
    const auto& a = s.routes[0].stats;
    EXPECT_EQ(a.db_queries, 12u);
    EXPECT_EQ(a.db_requests, 2u);
    EXPECT_EQ(a.db_ns, 2'600'000);
    EXPECT_EQ(a.max_repeats, 10u);
    EXPECT_EQ(a.n_plus_one, 1u);
    EXPECT_EQ(s.routes[1].stats.db_queries, 0u);
    ASSERT_EQ(s.requests.size(), 3u);
    EXPECT_EQ(s.requests[0].db_queries, 11u);
    EXPECT_EQ(s.requests[0].db_ns, 2'500'000);
    ASSERT_EQ(s.requests[0].queries.size(), 2u);
    EXPECT_EQ(s.requests[0].queries[1].error, "ProgrammingError: nope");
    const Snapshot back = snapshot_from_json(to_json(s));
    EXPECT_EQ(back.routes[0].stats.n_plus_one, 1u);
    EXPECT_EQ(back.routes[0].stats.db_ns, 2'600'000);
    EXPECT_EQ(back.requests[0].db_repeats, 10u);
    ASSERT_EQ(back.requests[0].queries.size(), 2u);
    EXPECT_EQ(back.requests[0].queries[0].sql, "SELECT 1");
    EXPECT_EQ(back.requests[0].queries[0].start_ns, 10);
    EXPECT_EQ(back.requests[0].queries[1].rows, -1);
    EXPECT_EQ(back.requests[0].queries[1].error, "ProgrammingError: nope");
    EXPECT_TRUE(back.requests[0].queries[0].error.empty());
    ASSERT_EQ(back.requests[0].logs.size(), 1u);
    EXPECT_EQ(back.requests[0].logs[0].message, "careful");
    EXPECT_EQ(back.requests[0].logs[0].level, 30);
}
