// A Python object's writable, contiguous buffer held from native code (shared memory handed over by
// the cluster supervisor): released, with the GIL, when the last holder lets go.
#pragma once

#include <pybind11/pybind11.h>

#include <cstddef>
#include <memory>
#include <span>

namespace cello::py {

struct WritableView {
    Py_buffer buf{};
    WritableView() = default;
    WritableView(const WritableView&) = delete;
    WritableView& operator=(const WritableView&) = delete;
    ~WritableView() {
        if (buf.obj && Py_IsInitialized()) {
            pybind11::gil_scoped_acquire gil;
            PyBuffer_Release(&buf);
        }
    }

    std::span<std::byte> bytes() const noexcept { return {static_cast<std::byte*>(buf.buf), static_cast<std::size_t>(buf.len)}; }

    // Throws (a Python error) when `object` has no writable contiguous buffer.
    static std::shared_ptr<WritableView> of(pybind11::handle object) {
        auto view = std::make_shared<WritableView>();
        if (PyObject_GetBuffer(object.ptr(), &view->buf, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) != 0)
            throw pybind11::error_already_set();
        return view;
    }
};

}  // namespace cello::py
