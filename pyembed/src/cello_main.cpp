// The headless `cello` binary: an embedded interpreter running the cello CLI.
#include "python_host.hpp"

int main(int argc, char** argv) { return cello::py::run_cello_cli(argc, argv); }
