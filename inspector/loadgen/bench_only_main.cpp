// `cello` where the Python bridge is not built (the Windows cross build): `cello bench` and
// `cello --version`. Every other command needs the embedded interpreter; it says so.
#include "inspector/loadgen/bench_cli.hpp"

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "bench") == 0) return cello::inspector::bench_main(argc, argv);
    if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
        std::printf("cello %s (load generator only: no Python bridge in this build)\n", CELLO_VERSION);
        return 0;
    }
    std::fprintf(stderr,
                 "usage: cello bench URL [options]   (cello bench --help)\n"
                 "This build has the load generator only: `cello run` and the other commands need the Python "
                 "bridge, which this build (Windows, no Python here) does not include.\n");
    return 2;
}
