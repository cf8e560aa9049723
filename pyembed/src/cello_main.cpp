// The headless `cello` binary: an embedded interpreter running the cello CLI. `cello bench` is
// native (the load generator must not share its CPU with an interpreter), so it skips Python.
#include "inspector/loadgen/bench_cli.hpp"
#include "python_host.hpp"

#include <cstring>

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "bench") == 0) return cello::inspector::bench_main(argc, argv);
    return cello::py::run_cello_cli(argc, argv);
}
