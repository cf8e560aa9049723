// Cluster mode's shared block without processes: two ClusterLinks on one block stand for two
// worker processes (the block is what they share; each has its own cell).
#include "engine/cache/response_cache.hpp"
#include "engine/cluster/cluster_link.hpp"
#include "engine/cluster/error_ring.hpp"
#include "engine/cluster/invalidation_ring.hpp"
#include "engine/cluster/shared_metrics_store.hpp"
#include "engine/cluster/shared_pool_rows.hpp"
#include "engine/cluster/shared_rate_table.hpp"
#include "engine/http_types.hpp"
#include "engine/metrics/metrics_exposition.hpp"
#include "engine/route_table.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

using namespace cello::engine;
using namespace cello::engine::cluster;
using namespace std::chrono_literals;

namespace {

constexpr auto kGet = static_cast<std::uint8_t>(Method::Get);
constexpr auto kPost = static_cast<std::uint8_t>(Method::Post);

// Page-aligned memory, as the shared mapping is (std::aligned_alloc is not in Windows' C library).
struct PageFree {
    void operator()(std::byte* p) const noexcept { ::operator delete[](p, std::align_val_t{4096}); }
};
using PageMemory = std::unique_ptr<std::byte[], PageFree>;
PageMemory page_aligned(std::size_t size) {
    return PageMemory(static_cast<std::byte*>(::operator new[](size, std::align_val_t{4096})));
}

struct Block {
    std::size_t size;
    PageMemory memory;

    Block(unsigned cells, unsigned threads)
        : size((ClusterMemory::bytes_needed(cells, threads) + 4095) / 4096 * 4096),
          memory(page_aligned(size)) {
        std::memset(memory.get(), 0, size);
        ClusterMemory::format(span(), cells, threads);
    }
    std::span<std::byte> span() const { return {memory.get(), size}; }
    std::shared_ptr<ClusterLink> join(unsigned cell) const { return std::make_shared<ClusterLink>(span(), cell, nullptr); }
};

std::string page(const MetricsSnapshot& snap) {
    std::string out;
    write_exposition(out, MetricNames{"cello_http", "cello_cache", "cello_db"}, snap, nullptr, std::nullopt);
    return out;
}

}  // namespace

TEST(ClusterMemory, RefusesWhatIsNotAFormattedBlock) {
    std::vector<std::uint64_t> zeros(1024, 0);
    const std::span<std::byte> raw(reinterpret_cast<std::byte*>(zeros.data()), zeros.size() * 8);
    EXPECT_THROW(ClusterMemory{raw}, std::invalid_argument);
    Block b(2, 1);
    EXPECT_THROW(ClusterMemory::format(b.span().first(4096), 2, 1), std::invalid_argument);  // too small
    EXPECT_THROW(b.join(3), std::invalid_argument);  // a cell the block does not have
    EXPECT_TRUE(b.join(2)->is_supervisor());           // one past the cells: the supervisor's link
}

// What two workers record adds up to what one process would have counted: the same page.
TEST(SharedMetricsStore, TwoWorkersAddUpToOneStore) {
    Block block(4, 2);
    SharedMetricsStore w1(block.join(0), 7), w2(block.join(3), 7);
    SharedMetricsStore other(block.join(1), 8);  // another namespace: counted apart
    MetricsStore one;
    Route users, items;
    users.pattern = "/users/{id}";
    items.pattern = "/items";
    struct Rec { const Route* route; std::uint8_t method; int status; std::size_t bytes; std::chrono::nanoseconds t; };
    const Rec recs[] = {{&users, kGet, 200, 100, 1ms}, {&users, kGet, 404, 60, 3ms}, {&items, kPost, 201, 5000, 40ms},
                        {nullptr, kGet, 404, 50, 1us}, {&users, kGet, 200, 100, 2s}};
    int i = 0;
    for (int round = 0; round < 3; ++round) {
        for (const Rec& r : recs) {
            one.record(0, r.route, r.method, r.status, r.bytes, r.t);
            SharedMetricsStore& w = (i++ % 3 == 0) ? w1 : w2;
            w.record(static_cast<unsigned>(i % 2), r.route, r.method, r.status, r.bytes, r.t);
        }
    }
    other.record(0, &users, kGet, 200, 1, 1ms);
    EXPECT_EQ(page(w1.snapshot()), page(one.snapshot()));
    EXPECT_EQ(page(w2.snapshot()), page(one.snapshot()));  // whichever worker answers the scrape
    EXPECT_NE(page(other.snapshot()).find(R"(route="/users/{id}",status="200"} 1)"), std::string::npos);

    // A route address reused for another route after a reload: checked against its label.
    users.pattern = "/renamed";
    w1.record(0, &users, kGet, 200, 10, 1ms);
    EXPECT_NE(page(w2.snapshot()).find(R"(cello_http_requests_total{method="GET",route="/renamed",status="200"} 1)"),
              std::string::npos);
}

TEST(SharedMetricsStore, InProgressIsTheSumAndDiesWithTheWorker) {
    Block block(2, 1);
    SharedMetricsStore w1(block.join(0), 1), w2(block.join(1), 1);
    w1.enter(0);
    w1.enter(0);
    w2.enter(0);
    w2.leave(0);
    w2.leave(0);  // stops at zero
    EXPECT_EQ(w2.snapshot().in_progress, 2);
    ClusterMemory(block.span()).cell_ended(0);  // the supervisor reaped worker 1
    EXPECT_EQ(w2.snapshot().in_progress, 0);
}

TEST(SharedMetricsStore, AFullTableCountsWhatItLost) {
    Block block(1, 1);
    SharedMetricsStore w(block.join(0), 1);
    Route r;
    for (std::size_t i = 0; i < Layout::kSeries + 10; ++i) {
        r.pattern = "/r" + std::to_string(i);
        w.record(0, &r, kGet, 200, 1, 1ms);
    }
    EXPECT_EQ(w.lost(), 10u);
    EXPECT_EQ(w.snapshot().series.size(), Layout::kSeries);
}

TEST(InvalidationRing, OtherWorkersSeeWhatOneInvalidated) {
    Block block(3, 1);
    const ClusterMemory memory(block.span());
    InvalidationRing a(memory, 0), b(memory, 1), c(memory, 2);
    a.publish({"users", "items"}, std::nullopt);
    b.publish({}, std::string_view("/users/1"));
    const auto at_c = c.poll();
    ASSERT_EQ(at_c.size(), 2u);
    EXPECT_EQ(at_c[0].tags, (std::vector<std::string>{"users", "items"}));
    EXPECT_FALSE(at_c[0].path);
    EXPECT_EQ(at_c[1].path, "/users/1");
    EXPECT_TRUE(at_c[1].tags.empty());
    EXPECT_TRUE(c.poll().empty());  // consumed
    const auto at_a = a.poll();     // its own is skipped
    ASSERT_EQ(at_a.size(), 1u);
    EXPECT_EQ(at_a[0].path, "/users/1");
    EXPECT_EQ(b.poll().size(), 1u);  // a's tags

    a.publish({std::string(2000, 't')}, std::nullopt);  // does not fit an entry: everything
    const auto big = b.poll();
    ASSERT_EQ(big.size(), 1u);
    EXPECT_TRUE(big[0].everything);
}

TEST(InvalidationRing, AReaderALapBehindDropsEverything) {
    Block block(2, 1);
    const ClusterMemory memory(block.span());
    InvalidationRing writer(memory, 0), reader(memory, 1);
    for (std::size_t i = 0; i < Layout::kRingEntries + 5; ++i) writer.publish({std::to_string(i)}, std::nullopt);
    const auto seen = reader.poll();
    ASSERT_FALSE(seen.empty());
    EXPECT_TRUE(seen.back().everything);
    EXPECT_TRUE(reader.poll().empty());
}

TEST(ClusterLink, InvalidationsReachTheOtherWorkersCache) {
    Block block(2, 1);
    auto l1 = block.join(0), l2 = block.join(1);
    auto c1 = std::make_shared<ResponseCache>(1 << 20), c2 = std::make_shared<ResponseCache>(1 << 20);
    l1->watch(c1);
    l2->watch(c2);
    auto counters = c2->tag_counters("items");  // counts what the poller dropped from c2
    Request req;
    req.method = "GET";
    req.target = "/items";
    req.path = "/items";
    for (auto& cache : {c1, c2}) {
        const auto lookup = cache->lookup("k", req, std::chrono::steady_clock::now());
        ASSERT_EQ(lookup.role, ResponseCache::Role::Leader);
        auto entry = std::make_shared<CachedResponse>();
        entry->key = "k";
        entry->path = "/items";
        entry->tags = {"items"};
        entry->tag_counters = {cache->tag_counters("items")};
        entry->expires = std::chrono::steady_clock::now() + 1h;
        cache->finish("k", "k", entry);
        ASSERT_EQ(cache->entries(), 1u);
    }
    EXPECT_EQ(c1->invalidate_tags({"items"}), 1u);  // here, and passed on
    for (int i = 0; i < 500 && c2->entries() != 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(c2->entries(), 0u);
    EXPECT_EQ(counters->invalidations.load(), 1u);
}

TEST(SharedPoolRows, EveryWorkersPoolAddsUpAndAnEndedWorkerTakesItsConnections) {
    Block block(2, 1);
    auto w1 = block.join(0), w2 = block.join(1);
    std::uint64_t* r1 = pool_row(*w1, "postgresql://db:5432/app");
    std::uint64_t* r2 = pool_row(*w2, "postgresql://db:5432/app");
    ASSERT_TRUE(r1 && r2);
    EXPECT_NE(r1, r2);  // each worker's own row
    EXPECT_EQ(pool_row(*w1, "postgresql://db:5432/app"), r1);
    r1[kPoolSize] = 8, r1[kPoolOpen] = 5, r1[kPoolIdle] = 2, r1[kPoolErrors] = 1, r1[kPoolBuckets] = 10;
    r2[kPoolSize] = 8, r2[kPoolOpen] = 3, r2[kPoolIdle] = 3, r2[kPoolWaiters] = 4, r2[kPoolBuckets + 1] = 5;
    auto figures = pool_figures(*w2);
    ASSERT_EQ(figures.size(), 1u);
    EXPECT_EQ(figures[0].pool, "postgresql://db:5432/app");
    EXPECT_EQ(figures[0].size, 16u);
    EXPECT_EQ(figures[0].open, 8u);
    EXPECT_EQ(figures[0].in_use, 3u);
    EXPECT_EQ(figures[0].waiters, 4u);
    EXPECT_EQ(figures[0].query_ns.counts[0] + figures[0].query_ns.counts[1], 15u);
    w1->memory().cell_ended(0);  // its connections and waiters end with it; its statements stay counted
    figures = pool_figures(*w2);
    EXPECT_EQ(figures[0].size, 8u);
    EXPECT_EQ(figures[0].open, 3u);
    EXPECT_EQ(figures[0].query_errors, 1u);
    EXPECT_EQ(figures[0].query_ns.counts[0], 10u);
}

TEST(SharedRateTable, BurstIsForTheWholeServerThenTheRate) {
    Block block(2, 1);
    SharedRateTable w1(block.join(0), 42, /*rate=*/10.0, /*burst=*/5), w2(block.join(1), 42, 10.0, 5);
    SharedRateTable other_limit(block.join(1), 43, 10.0, 5);
    const SharedRateTable::Key client{1, 2, 3, 4};
    const std::int64_t t0 = 1'000'000'000'000;
    int allowed = 0;
    for (int i = 0; i < 12; ++i) allowed += (i % 2 ? w1 : w2).take(client, t0).allowed;
    EXPECT_EQ(allowed, 5);
    const auto refused = w1.take(client, t0);
    EXPECT_FALSE(refused.allowed);
    EXPECT_NEAR(refused.retry_after, 0.1, 1e-6);  // one request's worth of time at 10/s
    EXPECT_TRUE(w2.take(client, t0 + 100'000'000).allowed);   // 100 ms later: one more
    EXPECT_FALSE(w1.take(client, t0 + 100'000'000).allowed);
    EXPECT_TRUE(other_limit.take(client, t0).allowed);  // another limit has its own buckets
    EXPECT_TRUE(w1.take(SharedRateTable::Key{9}, t0).allowed);  // another client too
}

TEST(SharedRateTable, AFullTableRecyclesIdleSlotsFirst) {
    Block block(1, 1);
    SharedRateTable t(block.join(0), 1, 1.0, 1);
    const std::int64_t t0 = 1'000'000'000'000;
    // Far more clients than slots, each once, long ago: all idle (full buckets) by t0 + 10 s.
    for (std::uint32_t i = 0; i < Layout::kRateEntries * 2; ++i) {
        SharedRateTable::Key k{};
        std::memcpy(k.data(), &i, 4);
        ASSERT_TRUE(t.take(k, t0).allowed);
    }
    const SharedRateTable::Key busy{0xAA};
    EXPECT_TRUE(t.take(busy, t0 + 10'000'000'000).allowed);
    EXPECT_FALSE(t.take(busy, t0 + 10'000'000'000).allowed);  // its slot kept its state
}

TEST(ErrorRing, RecordsReachTheSupervisorWhole) {
    const Layout l = Layout::make(2, 1, 64);  // with the inspector's rings: the error ring exists
    ASSERT_GT(l.errors, 0u);
    const PageMemory mem = page_aligned((l.total + 4095) / 4096 * 4096);
    std::memset(mem.get(), 0, l.total);
    const std::span<std::byte> span(mem.get(), l.total);
    ClusterMemory::format(span, 2, 1, 64);
    const ClusterMemory memory(span);
    ErrorRing supervisor(memory, 2), worker(memory, 0);

    ErrorRecord e;
    e.time_ns = 123;
    e.route_id = 4;
    e.table_generation = 9;
    e.method = 1;
    e.status = 500;
    e.path = "/boom?x=1";
    e.message = "ValueError: boom";
    e.traceback = "Traceback (most recent call last):\n" + std::string(40000, 'x') + "\nValueError: boom\n";
    e.headers = {{"Host", "a"}, {"Authorization", "<redacted, 5 bytes>"}};
    e.body_preview = "abc";
    worker.send(e);
    e.traceback = "short";
    worker.send(e);
    const auto got = supervisor.receive();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].message, "ValueError: boom");
    EXPECT_EQ(got[0].path, "/boom?x=1");
    EXPECT_EQ(got[0].route_id, 4u);
    EXPECT_EQ(got[0].headers.size(), 2u);
    EXPECT_LT(got[0].traceback.size(), Layout::kErrorEntryBytes);  // shortened in the middle
    EXPECT_TRUE(got[0].traceback.starts_with("Traceback (most recent call last):"));
    EXPECT_TRUE(got[0].traceback.ends_with("ValueError: boom\n"));
    EXPECT_EQ(got[1].traceback, "short");
    EXPECT_EQ(supervisor.lost(), 0u);
}

TEST(SharedCacheCounters, EveryWorkersCountsAddUp) {
    Block block(2, 1);
    auto l1 = block.join(0), l2 = block.join(1), supervisor = block.join(2);
    auto c1 = std::make_shared<ResponseCache>(1 << 20), c2 = std::make_shared<ResponseCache>(1 << 20);
    auto c0 = std::make_shared<ResponseCache>(1 << 20);
    l1->watch(c1);
    l2->watch(c2);
    supervisor->watch(c0);
    c1->route_counters("GET /a")->hits += 3;
    c2->route_counters("GET /a")->hits += 4;
    c2->route_counters("GET /a")->misses += 1;
    c1->tag_counters("users")->stores += 2;
    for (const auto& cache : {c0, c1, c2}) {  // the same sums, whoever reads
        const auto routes = cache->route_stats();
        ASSERT_EQ(routes.size(), 1u);
        EXPECT_EQ(routes[0].label, "GET /a");
        EXPECT_EQ(routes[0].hits, 7u);
        EXPECT_EQ(routes[0].misses, 1u);
        const auto tags = cache->tag_stats();
        ASSERT_EQ(tags.size(), 1u);
        EXPECT_EQ(tags[0].stores, 2u);
    }
}
