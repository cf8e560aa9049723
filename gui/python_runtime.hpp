// The studio's embedded interpreter: the interpreter Cello was built for, the `cello` package found
// next to the executable, and `cello._cello` linked into this binary (one copy of the engine and
// inspector in the process, so the studio can read the inspector the app's server reports to).
// No Python types cross this header.
#pragma once

#include <memory>
#include <string>

namespace cello::studio {

class PythonRuntime {
public:
    // Starts the interpreter (stdio unbuffered, signals left to Qt) and releases the GIL.
    // Throws std::runtime_error when Python cannot start or the package is missing.
    explicit PythonRuntime(const char* argv0);
    ~PythonRuntime();  // finalizes the interpreter
    PythonRuntime(const PythonRuntime&) = delete;
    PythonRuntime& operator=(const PythonRuntime&) = delete;

    const std::string& package_dir() const noexcept { return package_dir_; }
    static std::string version();  // the embedded interpreter's, e.g. "3.11.2"

private:
    std::string package_dir_;
    void* main_thread_state_ = nullptr;  // PyThreadState*, saved while others hold the GIL
};

}  // namespace cello::studio
