#include "py_redis.hpp"

#include "engine/cache/far_cache_tier.hpp"
#include "engine/cache/response_cache.hpp"
#if CELLO_REDIS
#include "engine/redis/redis_cache_tier.hpp"
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

namespace cello::py {

namespace {

#if CELLO_REDIS
std::chrono::milliseconds millis(const pyb::dict& d, const char* key) {
    // Rounded up, at least 1 ms: a zero would mean "no deadline" to the engine.
    return std::chrono::milliseconds(std::max(1LL, static_cast<long long>(std::ceil(d[key].cast<double>() * 1000.0))));
}

engine::RedisSettings settings_from(const pyb::dict& d) {
    engine::RedisSettings s;
    s.host = d["host"].cast<std::string>();
    s.port = d["port"].cast<std::uint16_t>();
    s.username = d["username"].cast<std::string>();
    s.password = d["password"].cast<std::string>();
    s.database = d["database"].cast<int>();
    s.key_prefix = d["key_prefix"].cast<std::string>();
    s.connect_timeout = millis(d, "connect_timeout");
    s.lookup_timeout = millis(d, "lookup_timeout");
    return s;
}

// From engine threads, without the GIL: one write, so that lines of several threads do not mix.
void log_line(const std::string& text) {
    const std::string line = text + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}
#endif

}  // namespace

void define_redis(pyb::module_& m) {
    m.attr("HAS_REDIS") = pyb::bool_(CELLO_REDIS != 0);
    m.def(
        "attach_redis_cache",
        [](const std::shared_ptr<engine::ResponseCache>& cache, const pyb::object& settings) {
            std::shared_ptr<engine::FarCacheTier> tier;
#if CELLO_REDIS
            if (!settings.is_none())
                tier = std::make_shared<engine::RedisCacheTier>(settings_from(settings.cast<pyb::dict>()), cache, log_line);
#else
            if (!settings.is_none()) throw pyb::value_error("this build of Cello has no Redis (Windows builds have none yet)");
#endif
            pyb::gil_scoped_release release;  // a tier being replaced joins its thread
            cache->set_far_tier(std::move(tier));
        },
        pyb::arg("cache"), pyb::arg("settings"),
        "Puts a Redis tier behind `cache` (RedisConfig.settings()), or takes it away (None).");
    m.def(
        "redis_cache_listening",
        [](const engine::ResponseCache& cache) {
#if CELLO_REDIS
            if (auto* tier = dynamic_cast<engine::RedisCacheTier*>(cache.far_tier().get())) return tier->listening();
#endif
            (void)cache;
            return false;
        },
        pyb::arg("cache"), "Whether the cache's Redis tier is subscribed to other servers' invalidations now.");
}

}  // namespace cello::py
