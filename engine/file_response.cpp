#include "engine/file_response.hpp"

#include "engine/conditional.hpp"
#include "engine/http_date.hpp"
#include "engine/status.hpp"

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>

// POSIX file access lives in File below and nowhere else.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cello::engine {

namespace fs = std::filesystem;

namespace {

// Chunk size of a streamed file, and the size up to which a body is read whole into res.body instead
// (one read, no stream object; the connection copies each chunk once into its output buffer anyway).
constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::uint64_t kWholeReadLimit = 64 * 1024;

// An open regular file with the size and modification time of that very descriptor, so the
// validators always describe the bytes being sent. Owns the descriptor: a stream destroyed early
// (client gone) closes it.
// This is the only OS-specific code of file serving. Windows port: CreateFileW with
// FILE_SHARE_READ, GetFileInformationByHandleEx for type/size/mtime, ReadFile with an OVERLAPPED
// offset, CloseHandle.
class File {
public:
    // The open file, or nullopt with the reason in `result`.
    static std::optional<File> open_regular(const fs::path& path, FileResult& result) {
        // O_NONBLOCK: a FIFO swapped in after a type check must not block the engine thread
        // (regular files ignore the flag).
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
            const int e = errno;
            const bool missing = e == ENOENT || e == ENOTDIR || e == ELOOP || e == ENAMETOOLONG;
            result = {missing ? FileOutcome::Missing : FileOutcome::Unreadable, e};
            return std::nullopt;
        }
        File file(fd);
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            result = {FileOutcome::Unreadable, errno};
            return std::nullopt;
        }
        if (!S_ISREG(st.st_mode)) {
            result = {FileOutcome::NotRegular, 0};
            return std::nullopt;
        }
        file.size_ = static_cast<std::uint64_t>(st.st_size);
        file.mtime_ns_ = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
        return file;
    }

    File(File&& other) noexcept
        : fd_(std::exchange(other.fd_, -1)), size_(other.size_), mtime_ns_(other.mtime_ns_) {}
    File& operator=(File&&) = delete;
    File(const File&) = delete;
    ~File() {
        if (fd_ >= 0) ::close(fd_);
    }

    std::uint64_t size() const noexcept { return size_; }
    std::int64_t mtime_ns() const noexcept { return mtime_ns_; }

    // Exactly `n` bytes at `offset`. Throws when the file shrank meanwhile: for a stream that aborts
    // the connection, the only honest signal once Content-Length has been sent.
    void read_exact(char* out, std::size_t n, std::uint64_t offset) const {
        while (n > 0) {
            const ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
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

private:
    explicit File(int fd) noexcept : fd_(fd) {}

    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::int64_t mtime_ns_ = 0;
};

// A file (or a range of it) pulled by the connection in 64 KiB chunks: memory stays at one chunk
// per download whatever the file size.
class FileBody final : public BodySource {
public:
    FileBody(File file, std::uint64_t offset, std::uint64_t length)
        : file_(std::move(file)), offset_(offset), remaining_(length) {}

    bool next(std::string& chunk) override {
        if (remaining_ == 0) return false;
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, remaining_));
        chunk.resize(n);
        file_.read_exact(chunk.data(), n, offset_);
        offset_ += n;
        remaining_ -= n;
        return true;
    }

private:
    File file_;
    std::uint64_t offset_;
    std::uint64_t remaining_;
};

// HEAD: a sized stream that is never pulled, so the writer sends the Content-Length a GET would get
// without the file staying open.
class NoBody final : public BodySource {
public:
    bool next(std::string&) override { return false; }
};

std::int64_t floor_seconds(std::int64_t ns) noexcept {
    constexpr std::int64_t kNs = 1'000'000'000;
    return ns >= 0 ? ns / kNs : -((-ns + kNs - 1) / kNs);
}

std::string content_range(std::uint64_t first, std::uint64_t last, std::uint64_t size) {
    return "bytes " + std::to_string(first) + '-' + std::to_string(last) + '/' + std::to_string(size);
}

// Puts `length` bytes from `offset` into the response: read whole when small, streamed otherwise.
void send_body(Response& res, File&& file, std::uint64_t offset, std::uint64_t length, bool head_only) {
    if (head_only) {
        res.stream = std::make_unique<NoBody>();
        res.stream_length = static_cast<std::int64_t>(length);
        return;
    }
    if (length <= kWholeReadLimit) {
        res.body.resize(static_cast<std::size_t>(length));
        file.read_exact(res.body.data(), res.body.size(), offset);
        return;
    }
    res.stream = std::make_unique<FileBody>(std::move(file), offset, length);
    res.stream_length = static_cast<std::int64_t>(length);
}

}  // namespace

FileResult respond_with_file(const Request& req, Response& res, const fs::path& path, const FileOptions& options) {
    FileResult result;
    std::optional<File> file = File::open_regular(path, result);
    if (!file) return result;
    const std::uint64_t size = file->size();
    const std::string etag = options.etag.empty() ? make_etag(size, file->mtime_ns()) : std::string(options.etag);
    const std::int64_t mtime = floor_seconds(file->mtime_ns());
    res.headers.emplace_back("ETag", etag);
    res.headers.emplace_back("Last-Modified", format_http_date(static_cast<std::time_t>(mtime)));
    if (!options.cache_control.empty()) res.headers.emplace_back("Cache-Control", std::string(options.cache_control));
    res.headers.emplace_back("Accept-Ranges", "bytes");
    if (options.conditional && not_modified(req, etag, mtime)) {
        res.status = 304;
        return result;
    }
    if (!options.content_type.empty()) {
        res.content_type = std::string(options.content_type);
    } else {
        const MimeTable& mime = options.mime ? *options.mime : system_mime_table();
        res.content_type = options.type_name.empty() ? mime.lookup(path.filename().string()) : mime.lookup(options.type_name);
    }
    // Range is defined for GET only (RFC 9110 14.2); HEAD gets the full representation's headers.
    const bool ranges = options.conditional && !options.head_only;
    const RangeResult range = ranges ? requested_range(req, etag, mtime, size) : RangeResult{};
    switch (range.kind) {
        case RangeKind::Unsatisfiable:
            make_error(res, 416, "range not satisfiable");
            res.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
            break;
        case RangeKind::Satisfiable:
            res.status = 206;
            res.headers.emplace_back("Content-Range", content_range(range.first, range.last, size));
            send_body(res, std::move(*file), range.first, range.last - range.first + 1, false);
            break;
        case RangeKind::Ignore:
            send_body(res, std::move(*file), 0, size, options.head_only);
            break;
    }
    return result;
}

}  // namespace cello::engine
