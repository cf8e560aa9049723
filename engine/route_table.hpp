// An immutable snapshot of the application's routes, swapped atomically (hot reload later).
#pragma once

#include "engine/cache/cache_policy.hpp"
#include "engine/handler.hpp"
#include "engine/middleware.hpp"
#include "engine/router.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace cello::engine {

struct Route {
    Method method = Method::Get;
    std::string pattern;       // the template, e.g. /users/{id}
    std::string name;          // handler name, for listings and logs
    std::string source;        // where the handler is defined: "path/to/app.py:12" (may be empty)
    std::shared_ptr<Handler> handler;
    std::shared_ptr<const CachePolicy> cache;  // set: responses of this route are cached
    std::uint32_t id = 0;      // index in the table, set by RouteTable::add
};

class ResponseCache;

class RouteTable {
public:
    RouteTable();

    // Unique per table in this process: telemetry names a route by (generation, Route::id), since
    // ids are indexes that a reload reassigns.
    std::uint32_t generation() const noexcept { return generation_; }

    // Throws RouteError when the pattern is malformed or conflicts with one already added.
    void add(Route route);

    // Adds to the chain; the chain is kept in rank order (lower first) whatever the call order.
    void add_middleware(std::shared_ptr<Middleware> m, int rank);
    // The response cache that @cache routes use (shared across reloads by the application).
    void set_cache(std::shared_ptr<ResponseCache> cache) { cache_ = std::move(cache); }

    const Router& router() const noexcept { return router_; }
    const std::vector<std::unique_ptr<Route>>& routes() const noexcept { return routes_; }
    const Route& route(std::uint32_t id) const { return *routes_[id]; }
    const std::vector<std::shared_ptr<Middleware>>& middleware() const noexcept { return chain_; }
    const std::shared_ptr<ResponseCache>& cache() const noexcept { return cache_; }

private:
    Router router_;
    std::vector<std::unique_ptr<Route>> routes_;  // stable addresses: RouteMatch points at them
    std::vector<std::shared_ptr<Middleware>> chain_;
    std::vector<int> ranks_;
    std::shared_ptr<ResponseCache> cache_;
    std::uint32_t generation_;
};

// Holds the current snapshot. Engine threads cache a copy and re-read only when the version moves,
// so the per-request cost is one relaxed load.
class RouteTableHolder {
public:
    explicit RouteTableHolder(std::shared_ptr<const RouteTable> table);

    void replace(std::shared_ptr<const RouteTable> table);
    std::shared_ptr<const RouteTable> current() const { return table_.load(std::memory_order_acquire); }
    std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }

private:
    std::atomic<std::shared_ptr<const RouteTable>> table_;
    std::atomic<std::uint64_t> version_{1};
};

}  // namespace cello::engine
