#include "engine/route_table.hpp"

#include <algorithm>

namespace cello::engine {

namespace {
std::atomic<std::uint32_t> g_next_generation{1};
}

RouteTable::RouteTable() : generation_(g_next_generation.fetch_add(1, std::memory_order_relaxed)) {}

void RouteTable::add(Route route) {
    const auto id = static_cast<std::uint32_t>(routes_.size());
    router_.add(route.method, route.pattern, id);  // throws before anything is stored
    route.id = id;
    routes_.push_back(std::make_unique<Route>(std::move(route)));
}

void RouteTable::add_middleware(std::shared_ptr<Middleware> m, int rank) {
    const auto at = std::upper_bound(ranks_.begin(), ranks_.end(), rank);
    chain_.insert(chain_.begin() + (at - ranks_.begin()), std::move(m));
    ranks_.insert(at, rank);
}

RouteTableHolder::RouteTableHolder(std::shared_ptr<const RouteTable> table) : table_(std::move(table)) {}

void RouteTableHolder::replace(std::shared_ptr<const RouteTable> table) {
    table_.store(std::move(table), std::memory_order_release);
    version_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace cello::engine
