// Each engine thread keeps one persistent PyThreadState: taking the GIL per request is then a
// PyEval_RestoreThread (~30 ns), not a fresh thread state (~8 µs).
#pragma once

#include <Python.h>

namespace cello::py {

// Called on an engine thread as it starts / ends (ServerOptions hooks).
void attach_engine_thread(PyInterpreterState* interp);
// `with_gil` runs first, holding the GIL, to free the thread's Python objects.
void detach_engine_thread(void (*with_gil)() = nullptr);

// Holds the GIL for the current scope on an attached engine thread.
class EngineGil {
public:
    EngineGil();
    ~EngineGil();
    EngineGil(const EngineGil&) = delete;
    EngineGil& operator=(const EngineGil&) = delete;
};

}  // namespace cello::py
