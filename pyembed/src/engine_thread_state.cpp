#include "engine_thread_state.hpp"

#include <cassert>

namespace cello::py {

namespace {
thread_local PyThreadState* t_state = nullptr;
}

void attach_engine_thread(PyInterpreterState* interp) {
    t_state = PyThreadState_New(interp);
}

void detach_engine_thread(void (*with_gil)()) {
    if (!t_state) return;
    PyEval_RestoreThread(t_state);
    if (with_gil) with_gil();
    PyThreadState_Clear(t_state);
    PyThreadState_DeleteCurrent();
    t_state = nullptr;
}

EngineGil::EngineGil() {
    assert(t_state && "EngineGil used on a thread that is not an engine thread");
    PyEval_RestoreThread(t_state);
}

EngineGil::~EngineGil() { PyEval_SaveThread(); }

}  // namespace cello::py
