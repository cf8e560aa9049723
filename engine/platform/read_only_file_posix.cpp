#include "engine/platform/read_only_file.hpp"

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cello::engine::platform {

std::optional<ReadOnlyFile> ReadOnlyFile::open_regular(const std::filesystem::path& path, OpenFailure& failure) {
    // O_NONBLOCK: a FIFO swapped in after a type check must not block the engine thread (regular
    // files ignore the flag).
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        const int e = errno;
        const bool missing = e == ENOENT || e == ENOTDIR || e == ELOOP || e == ENAMETOOLONG;
        failure = {missing ? OpenFailure::Kind::Missing : OpenFailure::Kind::Unreadable, e};
        return std::nullopt;
    }
    ReadOnlyFile file(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        failure = {OpenFailure::Kind::Unreadable, errno};
        return std::nullopt;
    }
    if (!S_ISREG(st.st_mode)) {
        failure = {OpenFailure::Kind::NotRegular, 0};
        return std::nullopt;
    }
    file.size_ = static_cast<std::uint64_t>(st.st_size);
    file.mtime_ns_ = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    return file;
}

ReadOnlyFile::ReadOnlyFile(ReadOnlyFile&& other) noexcept
    : handle_(std::exchange(other.handle_, -1)), size_(other.size_), mtime_ns_(other.mtime_ns_) {}

ReadOnlyFile::~ReadOnlyFile() {
    if (handle_ >= 0) ::close(static_cast<int>(handle_));
}

void ReadOnlyFile::read_exact(char* out, std::size_t n, std::uint64_t offset) const {
    while (n > 0) {
        const ssize_t got = ::pread(static_cast<int>(handle_), out, n, static_cast<off_t>(offset));
        if (got < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "reading a file");
        }
        if (got == 0) throw std::runtime_error("file shrank while being sent");
        out += got;
        n -= static_cast<std::size_t>(got);
        offset += static_cast<std::uint64_t>(got);
    }
}

}  // namespace cello::engine::platform
