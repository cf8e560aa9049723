// An open regular file with the size and modification time of that very handle, so the validators
// a response sends always describe the bytes it sends; read at any offset. Owns the handle: a file
// stream destroyed early (client gone) closes it. POSIX: open/fstat/pread
// (read_only_file_posix.cpp); Windows: CreateFileW/GetFileInformationByHandle/ReadFile with an
// offset (read_only_file_windows.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>

namespace cello::engine::platform {

struct OpenFailure {
    enum class Kind : std::uint8_t {
        Missing,     // no such file (or a path component is not a directory, or too long)
        NotRegular,  // a directory, FIFO, socket or device
        Unreadable,  // anything else (permissions, out of handles...)
    };
    Kind kind = Kind::Unreadable;
    int error = 0;  // errno on POSIX, GetLastError() on Windows
};

class ReadOnlyFile {
public:
    // The open file, or nullopt with the reason in `failure`. Never blocks on a FIFO swapped in
    // for a file (POSIX opens with O_NONBLOCK; Windows cannot open one as a file).
    static std::optional<ReadOnlyFile> open_regular(const std::filesystem::path& path, OpenFailure& failure);

    ReadOnlyFile(ReadOnlyFile&& other) noexcept;
    ReadOnlyFile& operator=(ReadOnlyFile&&) = delete;
    ReadOnlyFile(const ReadOnlyFile&) = delete;
    ~ReadOnlyFile();

    std::uint64_t size() const noexcept { return size_; }
    std::int64_t mtime_ns() const noexcept { return mtime_ns_; }  // since the Unix epoch

    // Exactly `n` bytes at `offset`. Throws when the file shrank meanwhile (for a stream that aborts
    // the connection: the only honest signal once Content-Length has been sent) or a read fails.
    void read_exact(char* out, std::size_t n, std::uint64_t offset) const;

private:
    explicit ReadOnlyFile(std::intptr_t handle) noexcept : handle_(handle) {}

    std::intptr_t handle_ = -1;  // a descriptor, or a HANDLE (-1 is INVALID_HANDLE_VALUE too)
    std::uint64_t size_ = 0;
    std::int64_t mtime_ns_ = 0;
};

}  // namespace cello::engine::platform
