// One-time initialisation of native state that needs Python, safe for threads holding the GIL.
//
// A function-local static is not: its guard blocks a second thread *while it holds the GIL*,
// and the first thread's initialiser (an import, say) may need the GIL back — a deadlock seen
// with two engine threads. Here a waiter releases the GIL before it waits.
#pragma once

#include <pybind11/pybind11.h>

#include <atomic>
#include <mutex>

namespace cello::py {

// Returns the value `init()` produced on the first call. Callers hold the GIL; `init` runs with it.
template <class T, class Init>
const T& gil_once(std::atomic<const T*>& slot, std::mutex& mutex, Init&& init) {
    if (const T* ready = slot.load(std::memory_order_acquire)) return *ready;
    {
        pybind11::gil_scoped_release release;  // wait for another initialiser without the GIL
        mutex.lock();
    }
    std::lock_guard lock(mutex, std::adopt_lock);
    const T* value = slot.load(std::memory_order_acquire);
    if (!value) {
        value = new T(init());  // kept for the life of the process, like the modules it refers to
        slot.store(value, std::memory_order_release);
    }
    return *value;
}

}  // namespace cello::py
