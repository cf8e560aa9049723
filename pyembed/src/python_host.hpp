// Embedding the interpreter: the configuration shared by the `cello` binary and, later, the studio.
#pragma once

#include <filesystem>
#include <string>

namespace cello::py {

// Where the `cello` package (and its _cello extension) sits relative to the running executable:
// <exe dir>/python in the build tree, <exe dir>/../lib/cello/python when installed. Empty if neither.
std::filesystem::path find_package_dir();

// Runs `python -m cello` semantics in an embedded interpreter with this process's argv, using the
// interpreter Cello was built for, and returns the exit status (SystemExit honoured).
int run_cello_cli(int argc, char** argv);

}  // namespace cello::py
