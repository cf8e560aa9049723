#include "engine/route_table.hpp"

namespace cello::engine {

void RouteTable::add(Route route) {
    const auto id = static_cast<std::uint32_t>(routes_.size());
    router_.add(route.method, route.pattern, id);  // throws before anything is stored
    routes_.push_back(std::make_unique<Route>(std::move(route)));
}

RouteTableHolder::RouteTableHolder(std::shared_ptr<const RouteTable> table) : table_(std::move(table)) {}

void RouteTableHolder::replace(std::shared_ptr<const RouteTable> table) {
    table_.store(std::move(table), std::memory_order_release);
    version_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace cello::engine
