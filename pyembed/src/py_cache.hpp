// The response cache from Python: _cello.ResponseCache and @cache policies.
#pragma once

#include "engine/cache/cache_policy.hpp"
#include "engine/cache/response_cache.hpp"

#include <pybind11/pybind11.h>

#include <memory>
#include <string>

namespace cello::py {

namespace pyb = pybind11;

// A policy from @cache's settings: ttl (seconds), tags, vary (header names), key (a function of the
// request returning a str, or None to skip the cache for that request). Counters are registered in
// `cache` under `label`.
std::shared_ptr<const engine::CachePolicy> make_cache_policy(const pyb::dict& settings, engine::ResponseCache& cache,
                                                             const std::string& label);

void define_cache(pyb::module_& m);

}  // namespace cello::py
