#include "py_cluster.hpp"

#include "writable_view.hpp"

#include "engine/cache/response_cache.hpp"
#include "engine/cluster/cluster_link.hpp"

namespace cello::py {

namespace pyb = pybind11;
using engine::cluster::ClusterLink;
using engine::cluster::ClusterMemory;

void define_cluster(pyb::module_& m) {
    m.def("cluster_memory_size", &ClusterMemory::bytes_needed, pyb::arg("cells"), pyb::arg("threads"),
          pyb::arg("event_capacity") = 0,
          "Bytes of shared memory the engine needs for a cluster of `cells` worker cells (with the "
          "inspector's event rings of `event_capacity` events per engine thread, when not 0).");
    m.def(
        "cluster_format",
        [](pyb::handle block, unsigned cells, unsigned threads, std::size_t event_capacity) {
            ClusterMemory::format(WritableView::of(block)->bytes(), cells, threads, event_capacity);
        },
        pyb::arg("block"), pyb::arg("cells"), pyb::arg("threads"), pyb::arg("event_capacity") = 0,
        "Prepares zeroed shared memory (the supervisor, before it starts any worker).");
    m.def(
        "cluster_cell_ended",
        [](pyb::handle block, unsigned cell) { ClusterMemory(WritableView::of(block)->bytes()).cell_ended(cell); },
        pyb::arg("block"), pyb::arg("cell"),
        "The worker in `cell` ended: its requests in progress are no longer counted.");

    pyb::class_<ClusterLink, std::shared_ptr<ClusterLink>>(
        m, "ClusterLink", "This worker process's membership in a cluster (one per process).")
        .def(pyb::init([](pyb::handle block, unsigned cell) {
                 auto view = WritableView::of(block);
                 auto link = std::make_shared<ClusterLink>(view->bytes(), cell, view);
                 if (!link->is_supervisor()) ClusterLink::join(link);
                 return link;
             }),
             pyb::arg("block"), pyb::arg("cell"),
             "Joins the cluster in `block` as `cell`: middleware built from now on counts and limits "
             "for the whole server. The supervisor passes the number of cells: it joins nothing, but "
             "may invalidate caches and inspect.")
        .def(
            "watch",
            [](ClusterLink& link, const std::shared_ptr<engine::ResponseCache>& cache) { link.watch(cache); },
            pyb::arg("cache"), "Passes `cache`'s invalidations to every worker, and theirs to it.")
        .def_property_readonly("cell", &ClusterLink::cell);
}

}  // namespace cello::py
