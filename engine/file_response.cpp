#include "engine/file_response.hpp"

#include "engine/conditional.hpp"
#include "engine/http_date.hpp"
#include "engine/platform/read_only_file.hpp"
#include "engine/status.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>


namespace cello::engine {

namespace fs = std::filesystem;

namespace {

// Chunk size of a streamed file, and the size up to which a body is read whole into res.body instead
// (one read, no stream object; the connection copies each chunk once into its output buffer anyway).
constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::uint64_t kWholeReadLimit = 64 * 1024;

using File = platform::ReadOnlyFile;  // the only OS-specific part of file serving

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
    platform::OpenFailure failure;
    std::optional<File> file = File::open_regular(path, failure);
    if (!file) {
        using Kind = platform::OpenFailure::Kind;
        const FileOutcome outcome = failure.kind == Kind::Missing      ? FileOutcome::Missing
                                    : failure.kind == Kind::NotRegular ? FileOutcome::NotRegular
                                                                       : FileOutcome::Unreadable;
        return {outcome, failure.error};
    }
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
