#include "python_runtime.hpp"

#include "python_host.hpp"

#include <Python.h>

#include <cstdlib>
#include <stdexcept>

extern "C" PyObject* PyInit__cello();  // pyembed/src/module.cpp, linked into this binary

namespace cello::studio {

namespace {

void check(PyStatus status, PyConfig& config) {
    if (!PyStatus_Exception(status)) return;
    const std::string why = status.err_msg ? status.err_msg : "unknown error";
    PyConfig_Clear(&config);
    throw std::runtime_error("cannot start Python: " + why);
}

}  // namespace

PythonRuntime::PythonRuntime(const char* argv0) {
    const auto dir = py::find_package_dir();
    if (dir.empty()) throw std::runtime_error("cannot find the cello Python package next to this executable");
    package_dir_ = dir.string();
    std::string search_path = package_dir_;
    if (const char* user = std::getenv("PYTHONPATH"); user && *user) search_path += std::string(":") + user;

    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 0;
    config.install_signal_handlers = 0;  // Ctrl-C and SIGTERM belong to the Qt application
    config.buffered_stdio = 0;           // the Console page shows output as it is written
    check(PyConfig_SetBytesString(&config, &config.program_name, argv0), config);
    check(PyConfig_SetBytesString(&config, &config.executable, CELLO_PYTHON_EXECUTABLE), config);
    check(PyConfig_SetBytesString(&config, &config.pythonpath_env, search_path.c_str()), config);
    check(Py_InitializeFromConfig(&config), config);
    PyConfig_Clear(&config);

    // `from . import _cello` in the package finds this module in sys.modules, not the .so beside it.
    PyObject* module = PyInit__cello();
    PyObject* modules = PyImport_GetModuleDict();
    if (!module || PyDict_SetItemString(modules, "cello._cello", module) != 0) {
        PyErr_Print();
        throw std::runtime_error("cannot initialise the cello._cello module");
    }
    Py_DECREF(module);
    main_thread_state_ = PyEval_SaveThread();
}

PythonRuntime::~PythonRuntime() {
    PyEval_RestoreThread(static_cast<PyThreadState*>(main_thread_state_));
    Py_FinalizeEx();
}

std::string PythonRuntime::version() {
    const std::string full = Py_GetVersion();  // "3.11.2 (main, ...) [GCC ...]"
    return full.substr(0, full.find(' '));
}

}  // namespace cello::studio
