#include "py_cache.hpp"

#include "engine_thread_state.hpp"
#include "py_handler.hpp"

#include <pybind11/stl.h>

#include <cmath>
#include <optional>
#include <cstdio>

namespace cello::py {

namespace {

// Runs the user's key function on the engine thread; any failure skips the cache for the request.
bool call_key_function(const pyb::object& fn, const engine::Request& req, std::string& key) {
    EngineGil gil;
    try {
        pyb::object result = call_with_request(fn, req);
        if (result.is_none()) return false;
        key += pyb::str(result).cast<std::string>();
        return true;
    } catch (pyb::error_already_set& e) {
        std::fprintf(stderr, "cello: cache key function failed (the request is not cached): %s\n", e.what());
        return false;
    }
}

pyb::dict stats_dict(const std::vector<engine::ResponseCache::Stat>& stats) {
    pyb::dict out;
    for (const auto& s : stats) {
        pyb::dict d;
        d["hits"] = s.hits;
        d["misses"] = s.misses;
        d["stores"] = s.stores;
        d["evictions"] = s.evictions;
        d["invalidations"] = s.invalidations;
        const auto lookups = s.hits + s.misses;
        d["hit_ratio"] = lookups ? static_cast<double>(s.hits) / static_cast<double>(lookups) : 0.0;
        out[pyb::str(s.label)] = d;
    }
    return out;
}

}  // namespace

std::shared_ptr<const engine::CachePolicy> make_cache_policy(const pyb::dict& settings, engine::ResponseCache& cache,
                                                             const std::string& label) {
    auto policy = std::make_shared<engine::CachePolicy>();
    const double ttl = settings.contains("ttl") ? settings["ttl"].cast<double>() : 60.0;
    if (!(ttl > 0) || !std::isfinite(ttl)) throw pyb::value_error("cache ttl must be a positive number of seconds");
    policy->ttl = std::chrono::milliseconds(static_cast<long long>(ttl * 1000));
    if (settings.contains("tags")) policy->tags = settings["tags"].cast<std::vector<std::string>>();
    // std::invalid_argument for a name that is no header name: ValueError in Python.
    if (settings.contains("vary")) policy->set_vary(settings["vary"].cast<std::vector<std::string>>());
    if (settings.contains("key") && !settings["key"].is_none()) {
        pyb::object fn = settings["key"];
        if (!PyCallable_Check(fn.ptr())) throw pyb::type_error("cache key= must be a function of the request");
        // Shared ownership with a GIL-aware deleter: the policy may die on any thread.
        auto holder = std::shared_ptr<pyb::object>(new pyb::object(std::move(fn)), [](pyb::object* p) {
            if (Py_IsInitialized()) {
                pyb::gil_scoped_acquire gil;
                delete p;
            }
        });
        policy->custom_key = [holder](const engine::Request& req, std::string& key) {
            return call_key_function(*holder, req, key);
        };
    }
    policy->counters = cache.route_counters(label);
    for (const auto& tag : policy->tags) policy->tag_counters.push_back(cache.tag_counters(tag));
    return policy;
}

void define_cache(pyb::module_& m) {
    pyb::class_<engine::ResponseCache, std::shared_ptr<engine::ResponseCache>>(
        m, "ResponseCache", "The native response cache (LRU by bytes) behind @cache.")
        .def(pyb::init<std::size_t>(), pyb::arg("max_bytes"))
        .def(
            "invalidate",
            [](engine::ResponseCache& c, const std::vector<std::string>& tags, const std::optional<std::string>& path) {
                pyb::gil_scoped_release release;  // the cache never takes the GIL under its lock
                std::size_t n = tags.empty() ? 0 : c.invalidate_tags(tags);
                if (path) n += c.invalidate_path(*path);
                return n;
            },
            pyb::arg("tags") = std::vector<std::string>{}, pyb::arg("path") = pyb::none(),
            "Removes entries with any of `tags`, and those stored for `path`; returns how many.")
        .def("clear", &engine::ResponseCache::clear)
        .def_property("max_bytes", &engine::ResponseCache::max_bytes, &engine::ResponseCache::set_max_bytes)
        .def_property_readonly("bytes", &engine::ResponseCache::bytes)
        .def_property_readonly("entries", &engine::ResponseCache::entries)
        .def("route_stats", [](const engine::ResponseCache& c) { return stats_dict(c.route_stats()); })
        .def("tag_stats", [](const engine::ResponseCache& c) { return stats_dict(c.tag_stats()); });
}

}  // namespace cello::py
