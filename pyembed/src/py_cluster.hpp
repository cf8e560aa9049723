// Cluster mode's shared memory from Python: the supervisor sizes and formats it, each worker joins
// it (_cello.ClusterLink) before building its server, so that metrics, cache invalidations and rate
// limits are the whole server's.
#pragma once

#include <pybind11/pybind11.h>

namespace cello::py {

void define_cluster(pybind11::module_& m);

}  // namespace cello::py
