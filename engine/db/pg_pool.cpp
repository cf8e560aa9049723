#include "engine/db/pg_pool.hpp"

#include <libpq-fe.h>

#include <algorithm>

namespace cello::engine::db {

using Clock = std::chrono::steady_clock;

namespace {
// "host:port/dbname" of a conninfo (URL or key=value), without user or password.
std::string where_of(const std::string& conninfo) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (error) PQfreemem(error);
    if (!options) return "?";
    std::string host = "localhost", port = "5432", dbname;
    for (PQconninfoOption* o = options; o->keyword; ++o) {
        if (!o->val || !*o->val) continue;
        const std::string_view k = o->keyword;
        if (k == "host") host = o->val;
        else if (k == "port") port = o->val;
        else if (k == "dbname") dbname = o->val;
    }
    PQconninfoFree(options);
    return host + ":" + port + "/" + dbname;
}
}  // namespace

PgPool::PgPool(PgOptions options) : options_(std::move(options)) {
    if (options_.pool_size == 0) options_.pool_size = 1;
    meter_ = PoolMeter::make(pool_label("postgresql", where_of(options_.conninfo)));
    meter_->connections(options_.pool_size, 0, 0);
}

void PgPool::metered_locked() { meter_->connections(options_.pool_size, open_, idle_.size()); }

PgPool::~PgPool() { meter_->detach(); }

bool PgPool::expired(const PgConnection& c) const { return Clock::now() - c.opened() > options_.max_lifetime; }

std::unique_ptr<PgConnection> PgPool::take_idle() {
    std::vector<std::unique_ptr<PgConnection>> closing;  // closed outside the lock
    std::unique_ptr<PgConnection> found;
    {
        std::lock_guard lock(mutex_);
        while (!idle_.empty() && !found) {
            auto c = std::move(idle_.back());
            idle_.pop_back();
            if (!expired(*c) && c->still_alive()) {
                found = std::move(c);
            } else {
                --open_;
                closing.push_back(std::move(c));
            }
        }
        metered_locked();
    }
    return found;
}

bool PgPool::reserve() {
    std::lock_guard lock(mutex_);
    if (open_ >= options_.pool_size) return false;
    ++open_;
    metered_locked();
    return true;
}

void PgPool::unreserve() {
    std::lock_guard lock(mutex_);
    if (open_ > 0) --open_;
    metered_locked();
}

void PgPool::put(std::unique_ptr<PgConnection> c) {
    if (!c) return;
    if (!c->healthy() || expired(*c)) return discard(std::move(c));
    c->touch();
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(c));
    metered_locked();
}

void PgPool::discard(std::unique_ptr<PgConnection> c) {
    c.reset();  // PQfinish: tells the server goodbye if the connection is still up
    unreserve();
}

std::size_t PgPool::sweep() {
    std::vector<std::unique_ptr<PgConnection>> closing;
    {
        std::lock_guard lock(mutex_);
        const auto now = Clock::now();
        // Oldest-used first; keep min_idle of the most recently used.
        while (idle_.size() > options_.min_idle) {
            auto oldest = std::min_element(idle_.begin(), idle_.end(),
                                           [](const auto& a, const auto& b) { return a->last_used() < b->last_used(); });
            if (now - (*oldest)->last_used() < options_.idle_timeout && !expired(**oldest)) break;
            closing.push_back(std::move(*oldest));
            idle_.erase(oldest);
            --open_;
        }
        metered_locked();
    }
    return closing.size();
}

PgPool::Stats PgPool::stats() const {
    std::lock_guard lock(mutex_);
    return {open_, idle_.size(), open_ - idle_.size()};
}

}  // namespace cello::engine::db
