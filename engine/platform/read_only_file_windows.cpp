#include "engine/platform/read_only_file.hpp"

#include <algorithm>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <windows.h>

namespace cello::engine::platform {

namespace {

HANDLE native(std::intptr_t h) noexcept { return reinterpret_cast<HANDLE>(h); }

// FILETIME counts 100 ns ticks since 1601-01-01; the Unix epoch is 11,644,473,600 s later.
std::int64_t unix_ns(const FILETIME& ft) noexcept {
    const std::uint64_t ticks = (static_cast<std::uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
    return (static_cast<std::int64_t>(ticks) - 116'444'736'000'000'000LL) * 100;
}

}  // namespace

std::optional<ReadOnlyFile> ReadOnlyFile::open_regular(const std::filesystem::path& path, OpenFailure& failure) {
    // Shared with writers and deleters, as a POSIX descriptor would be. BACKUP_SEMANTICS opens a
    // directory too, so that it is reported as not a file rather than as unreadable.
    const HANDLE h = CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                 nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_BACKUP_SEMANTICS, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
        const DWORD e = GetLastError();
        const bool missing = e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND || e == ERROR_INVALID_NAME ||
                             e == ERROR_FILENAME_EXCED_RANGE || e == ERROR_DIRECTORY;
        failure = {missing ? OpenFailure::Kind::Missing : OpenFailure::Kind::Unreadable, static_cast<int>(e)};
        return std::nullopt;
    }
    ReadOnlyFile file(reinterpret_cast<std::intptr_t>(h));
    BY_HANDLE_FILE_INFORMATION info{};
    if (!GetFileInformationByHandle(h, &info)) {
        failure = {OpenFailure::Kind::Unreadable, static_cast<int>(GetLastError())};
        return std::nullopt;
    }
    if (GetFileType(h) != FILE_TYPE_DISK || (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
        failure = {OpenFailure::Kind::NotRegular, 0};
        return std::nullopt;
    }
    file.size_ = (static_cast<std::uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
    file.mtime_ns_ = unix_ns(info.ftLastWriteTime);
    return file;
}

ReadOnlyFile::ReadOnlyFile(ReadOnlyFile&& other) noexcept
    : handle_(std::exchange(other.handle_, -1)), size_(other.size_), mtime_ns_(other.mtime_ns_) {}

ReadOnlyFile::~ReadOnlyFile() {
    if (handle_ != -1) CloseHandle(native(handle_));
}

void ReadOnlyFile::read_exact(char* out, std::size_t n, std::uint64_t offset) const {
    while (n > 0) {
        // A synchronous handle read at the OVERLAPPED's offset: pread's equivalent.
        OVERLAPPED at{};
        at.Offset = static_cast<DWORD>(offset);
        at.OffsetHigh = static_cast<DWORD>(offset >> 32);
        const DWORD want = static_cast<DWORD>(std::min<std::size_t>(n, 1u << 30));
        DWORD got = 0;
        if (!ReadFile(native(handle_), out, want, &got, &at)) {
            const DWORD e = GetLastError();
            if (e == ERROR_HANDLE_EOF) throw std::runtime_error("file shrank while being sent");
            throw std::system_error(static_cast<int>(e), std::system_category(), "reading a file");
        }
        if (got == 0) throw std::runtime_error("file shrank while being sent");
        out += got;
        n -= got;
        offset += got;
    }
}

}  // namespace cello::engine::platform
