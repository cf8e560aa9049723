#include "engine/metrics/metrics_middleware.hpp"

#include "engine/cluster/shared_metrics_store.hpp"

#include "engine/metrics/metrics_exposition.hpp"
#include "engine/metrics/metrics_store.hpp"
#include "engine/metrics/prometheus_text.hpp"
#include "engine/route_table.hpp"
#include "engine/status.hpp"

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

namespace cello::engine {

namespace {

constexpr std::string_view kAllow = "GET, HEAD, OPTIONS";

// Set by before() for the exchange being dispatched on this thread (dispatch runs one exchange at
// a time per thread). after() uses it to see requests whose before() was skipped: a bad path runs
// every after() but no before(), and it still must enter the in-progress gauge it will leave.
thread_local bool t_entered = false;

// One store per metric prefix while a middleware uses it (see the header). In cluster mode, the
// whole server's store in shared memory, which outlives any middleware.
std::shared_ptr<RequestMetrics> shared_store(const std::string& key) {
    if (auto link = cluster::ClusterLink::current())
        return std::make_shared<cluster::SharedMetricsStore>(std::move(link), cluster::stable_hash(key));
    static std::mutex mutex;
    static std::map<std::string, std::weak_ptr<MetricsStore>> stores;
    std::lock_guard lock(mutex);
    auto& weak = stores[key];
    auto store = weak.lock();
    if (!store) {
        store = std::make_shared<MetricsStore>();
        weak = store;
    }
    return store;
}

class MetricsMiddleware final : public Middleware {
public:
    MetricsMiddleware(std::string endpoint, MetricNames names, std::shared_ptr<RequestMetrics> store)
        : endpoint_(std::move(endpoint)), names_(std::move(names)), store_(std::move(store)) {}

    bool before(Exchange& ex) override {
        store_->enter(ex.thread_index);  // first, so a scrape counts itself
        t_entered = true;
        if (ex.req.path != endpoint_) return false;
        Response& res = ex.res;
        const auto m = static_cast<Method>(ex.method);
        if (m == Method::Get || m == Method::Head) {
            res.status = 200;
            res.content_type = prom::kContentType;
            res.body.clear();
            write_exposition(res.body, names_, store_->snapshot(), ex.table.cache().get(), read_process_stats(),
                             PoolMeter::all());
        } else if (m == Method::Options) {
            res.status = 204;
            res.headers.emplace_back("Allow", kAllow);
        } else {
            make_error(res, 405);
            res.headers.emplace_back("Allow", kAllow);
        }
        return true;
    }

    void after(Exchange& ex) override {
        if (!t_entered) store_->enter(ex.thread_index);
        t_entered = false;
    }

    void complete(const Completion& c, unsigned thread_index) override {
        if (c.unobserved) return;  // a health probe, answered before this middleware's before()
        store_->record(thread_index, c.route, c.method, c.status, c.bytes_out, c.latency);
        store_->leave(thread_index);
    }

    void prepare(unsigned threads) override { store_->prepare(threads); }

private:
    std::string endpoint_;
    MetricNames names_;
    std::shared_ptr<RequestMetrics> store_;
};

}  // namespace

std::shared_ptr<Middleware> make_metrics_middleware(const Config& config) {
    std::string endpoint = config.get_string("endpoint", "/metrics");
    if (endpoint.empty() || endpoint.front() != '/')
        throw std::invalid_argument("the metrics endpoint must start with '/', not '" + endpoint + "'");
    const std::string ns = config.get_string("namespace", "cello");
    const std::string subsystem = config.get_string("subsystem", "http");
    MetricNames names;
    names.http = metric_prefix(ns, subsystem, "metrics namespace and subsystem");
    names.cache = metric_prefix(ns, "cache", "metrics namespace");
    names.db = metric_prefix(ns, "db", "metrics namespace");
    auto store = shared_store(ns + '\n' + subsystem);
    return std::make_shared<MetricsMiddleware>(std::move(endpoint), std::move(names), std::move(store));
}

}  // namespace cello::engine
