// Redis for Python: cello.RedisConfig's settings into the engine's far cache tier.
#pragma once

#include <pybind11/pybind11.h>

namespace cello::py {

namespace pyb = pybind11;

// _cello.HAS_REDIS; _cello.attach_redis_cache(cache, settings | None); _cello.redis_cache_listening(cache).
void define_redis(pyb::module_& m);

}  // namespace cello::py
