// asyncio's registry of live tasks (asyncio.tasks._all_tasks, a weakref.WeakSet) with its `add`
// and its weak references' removal callback in C. CPython 3.11's C Task calls `_all_tasks.add(task)`
// for every Task it makes and the WeakSet's Python removal callback when one dies: two Python frames,
// about a fifth of what a handler's Task costs. What they do is unchanged (docs/async.md).
#pragma once

#include <pybind11/pybind11.h>

namespace cello::py {

// Gives `registry` (a weakref.WeakSet) the native add, as an attribute of the instance, which method
// lookup prefers to the class's. False, and nothing changed, if it does not look like a WeakSet.
bool speed_up_task_registry(PyObject* registry);

void define_task_registry(pybind11::module_& m);

}  // namespace cello::py
