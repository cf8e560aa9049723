#include "python_host.hpp"

#include "engine/platform/program_location.hpp"

#include <Python.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

namespace cello::py {

namespace {

std::filesystem::path executable_dir() {
    const auto exe = engine::platform::executable_path();
    return exe.empty() ? std::filesystem::current_path() : exe.parent_path();
}

bool check(PyStatus status) {
    if (PyStatus_Exception(status)) {
        std::fprintf(stderr, "cello: cannot start Python: %s\n", status.err_msg ? status.err_msg : "unknown error");
        return false;
    }
    return true;
}

}  // namespace

std::filesystem::path find_package_dir() {
    const auto dir = executable_dir();
    // The build tree (build/python), then an install under a prefix (bin/ beside lib/): where the
    // packages and the tarball put it.
    for (const auto& candidate : {dir / "python", dir / ".." / "lib" / "python3" / "dist-packages"}) {
        std::error_code ec;
        if (std::filesystem::is_directory(candidate / "cello", ec)) return std::filesystem::canonical(candidate, ec);
    }
    return {};
}

int run_cello_cli(int argc, char** argv) {
    const auto package_dir = find_package_dir();
    if (package_dir.empty()) {
        std::fprintf(stderr, "cello: cannot find the cello Python package next to this executable\n");
        return 1;
    }
    // The package first, then the user's own PYTHONPATH (pythonpath_env replaces it otherwise).
    std::string search_path = package_dir.string();
    if (const char* user = std::getenv("PYTHONPATH"); user && *user) {
        search_path += engine::platform::kSearchPathSeparator;
        search_path += user;
    }
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 0;  // our arguments are cello's, not the interpreter's
    bool ok = check(PyConfig_SetBytesString(&config, &config.program_name, argv[0])) &&
              // Otherwise sys.executable is whatever python3 is first on PATH (maybe a shim).
              check(PyConfig_SetBytesString(&config, &config.executable, CELLO_PYTHON_EXECUTABLE)) &&
              check(PyConfig_SetBytesArgv(&config, argc, argv)) &&
              check(PyConfig_SetBytesString(&config, &config.pythonpath_env, search_path.c_str())) &&
              check(PyConfig_SetString(&config, &config.run_module, L"cello"));
    if (ok) ok = check(Py_InitializeFromConfig(&config));
    PyConfig_Clear(&config);
    if (!ok) return 1;
    return Py_RunMain();  // runs cello/__main__.py, finalizes, maps SystemExit to a status
}

}  // namespace cello::py
