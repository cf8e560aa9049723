// An asyncio future that native code completes later, on the engine thread (an engine callback):
// held until then, and released with the GIL whichever thread drops it.
#pragma once

#include <pybind11/pybind11.h>

#include <functional>
#include <memory>

namespace cello::py {

namespace pyb = pybind11;

class FutureSlot {
public:
    explicit FutureSlot(pyb::object future);
    // Takes the GIL, makes the value and sets it as the future's result, unless the future is
    // done already (cancelled: its awaiter went away); true when it was set. An exception is
    // reported as unraisable. Once only: the future is let go while the GIL is held.
    bool resolve(const std::function<pyb::object()>& value) const;

private:
    mutable std::shared_ptr<PyObject> future_;
};

}  // namespace cello::py
