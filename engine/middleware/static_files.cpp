#include "engine/middleware/static_files.hpp"

#include "engine/http_date.hpp"
#include "engine/router.hpp"
#include "engine/status.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
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

constexpr std::string_view kAllow = "GET, HEAD, OPTIONS";

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// ---- the file itself ----------------------------------------------------------------------------

// An open regular file with the size and modification time of that very descriptor, so the
// validators always describe the bytes being sent. Owns the descriptor: a stream destroyed early
// (client gone) closes it.
// This is the only OS-specific code of the static files. Windows port: CreateFileW with
// FILE_SHARE_READ, GetFileInformationByHandleEx for type/size/mtime, ReadFile with an OVERLAPPED
// offset, CloseHandle.
class File {
public:
    // nullopt when the file cannot be opened or is not a regular file.
    static std::optional<File> open_regular(const fs::path& path) {
        // O_NONBLOCK: a FIFO swapped in after the type check must not block the engine thread
        // (regular files ignore the flag).
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) return std::nullopt;
        File file(fd);
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
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
                throw std::system_error(errno, std::generic_category(), "reading a static file");
            }
            if (got == 0) throw std::runtime_error("static file shrank while being sent");
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

// ---- paths --------------------------------------------------------------------------------------

// Request paths are UTF-8 (dispatch checked); char8_t makes std::filesystem convert them correctly
// on Windows too, where the native encoding is UTF-16.
fs::path utf8_path(std::string_view s) {
    return fs::path(std::u8string_view(reinterpret_cast<const char8_t*>(s.data()), s.size()));
}

// A segment that may name something under the root. ".." and "." would climb or alias; other
// dot-names (.git, .env, .htpasswd) are refused because served directories too often contain them
// by accident. Backslashes are separators on Windows; NUL would truncate the name for the OS.
bool safe_segment(std::string_view seg) noexcept {
    if (seg.front() == '.') return false;
    if (seg.find_first_of(std::string_view("\\\0", 2)) != std::string_view::npos) return false;
#ifdef _WIN32
    if (seg.find(':') != std::string_view::npos) return false;  // drive letters, alternate data streams
#endif
    return true;
}

// True when `p` is `root` or below it (both canonical). Compares components, not bytes, so
// "/srv/www-secret" is not inside "/srv/www".
bool inside(const fs::path& root, const fs::path& p) {
    return std::mismatch(root.begin(), root.end(), p.begin(), p.end()).first == root.end();
}

enum class Found : std::uint8_t { Missing, Refused, File, Redirect };

struct Resolved {
    Found found = Found::Missing;
    fs::path file;  // canonical, for Found::File
};

// ---- conditional requests -----------------------------------------------------------------------

std::int64_t floor_seconds(std::int64_t ns) noexcept {
    constexpr std::int64_t kNs = 1'000'000'000;
    return ns >= 0 ? ns / kNs : -((-ns + kNs - 1) / kNs);
}

// If-None-Match (any of its header lines) first; If-Modified-Since only without it (RFC 9110 13.2.2).
bool not_modified(const Request& req, std::string_view etag, std::int64_t mtime) {
    bool has_inm = false;
    for (std::size_t i = 0; i < req.header_count; ++i) {
        if (!iequals(req.headers[i].name, "If-None-Match")) continue;
        has_inm = true;
        if (static_files::etag_list_matches(req.headers[i].value, etag)) return true;
    }
    if (has_inm) return false;
    const std::string_view ims = req.header("If-Modified-Since");
    if (ims.empty()) return false;
    const auto since = static_files::parse_http_date(trim_ows(ims));
    return since && mtime <= *since;
}

// If-Range: an entity tag must match strongly (a weak one never does, RFC 9110 13.1.5); a date must
// equal Last-Modified exactly.
bool if_range_holds(std::string_view value, std::string_view etag, std::int64_t mtime) {
    value = trim_ows(value);
    if (value.starts_with("W/")) return false;
    if (value.starts_with('"')) return value == etag;
    const auto date = static_files::parse_http_date(value);
    return date && *date == mtime;
}

// The Range to honour for a GET: none when If-Range says the client's copy is stale.
static_files::RangeResult requested_range(const Request& req, std::string_view etag, std::int64_t mtime,
                                          std::uint64_t size) {
    const std::string_view range = req.header("Range");
    if (range.empty()) return {};
    const std::string_view if_range = req.header("If-Range");
    if (!if_range.empty() && !if_range_holds(if_range, etag, mtime)) return {};
    return static_files::parse_range(range, size);
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

// ---- the middleware -----------------------------------------------------------------------------

class StaticFiles final : public Middleware {
public:
    StaticFiles(std::string prefix, fs::path root, std::int64_t max_age, const std::string& mime_types)
        : prefix_(std::move(prefix)),
          root_(std::move(root)),
          cache_control_("public, max-age=" + std::to_string(max_age)),
          mime_(mime_types) {}

    bool before(Exchange& ex) override {
        const std::size_t headers_before = ex.res.headers.size();
        try {
            return serve(ex);
        } catch (const std::exception&) {
            // Filesystem errors can name absolute paths: the client gets no detail.
            ex.res.headers.resize(headers_before);
            ex.res.stream.reset();
            ex.res.stream_length = -1;
            make_error(ex.res, 500, "static file could not be read");
            return true;
        }
    }

private:
    // The part of `path` after the prefix ("" or "/..."), or false when the path is not ours.
    bool under_prefix(std::string_view path, std::string_view& rel) const noexcept {
        if (prefix_ == "/") {
            rel = path;
            return true;
        }
        if (!path.starts_with(prefix_)) return false;
        rel = path.substr(prefix_.size());
        return rel.empty() || rel.front() == '/';
    }

    bool serve(Exchange& ex) const {
        std::string_view rel;
        if (!under_prefix(ex.req.path, rel)) return false;
        const auto method = static_cast<Method>(ex.method);
        if (ex.method == kUnknownMethod || (method != Method::Get && method != Method::Head))
            return answer_other_method(ex, method);
        const Resolved r = resolve(rel);
        switch (r.found) {
            case Found::Missing: return false;  // the app's own routes, else the router's JSON 404
            case Found::Refused: make_error(ex.res, 404); return true;  // indistinguishable from missing
            case Found::Redirect: redirect_to_directory(ex); return true;
            case Found::File: break;
        }
        std::optional<File> file = File::open_regular(r.file);
        if (!file) return false;  // gone or unreadable since resolve(): treated as missing
        send_file(ex, std::move(*file), r.file);
        return true;
    }

    // Methods other than GET/HEAD under the prefix: an app route for them wins; OPTIONS is answered
    // like the router's automatic OPTIONS, except CORS preflights, which are the CORS middleware's
    // (or the router's) wherever that middleware sits in the chain.
    static bool answer_other_method(Exchange& ex, Method method) {
        if (ex.route) return false;
        if (ex.method != kUnknownMethod && method == Method::Options) {
            if (!ex.req.header("Access-Control-Request-Method").empty()) return false;
            ex.res.status = 204;
        } else {
            make_error(ex.res, 405);
        }
        ex.res.headers.emplace_back("Allow", std::string(kAllow));
        return true;
    }

    // Maps the path after the prefix onto the directory. Empty segments ("a//b") are skipped.
    Resolved resolve(std::string_view rel) const {
        fs::path p = root_;
        for (std::size_t pos = 0; pos < rel.size();) {
            std::size_t end = rel.find('/', pos);
            if (end == std::string_view::npos) end = rel.size();
            const std::string_view seg = rel.substr(pos, end - pos);
            pos = end + 1;
            if (seg.empty()) continue;
            if (!safe_segment(seg)) return {Found::Refused, {}};
            p /= utf8_path(seg);
        }
        const bool slash = !rel.empty() && rel.back() == '/';
        std::error_code ec;
        fs::path real = fs::canonical(p, ec);  // resolves every symlink on the way
        if (ec) return {};
        if (!inside(root_, real)) return {Found::Refused, {}};  // a symlink pointing out of the root
        const fs::file_status st = fs::status(real, ec);
        if (ec) return {};
        if (fs::is_regular_file(st)) return slash ? Resolved{} : Resolved{Found::File, std::move(real)};
        if (!fs::is_directory(st)) return {};  // FIFOs, sockets, devices
        Resolved index = resolve_index(real);
        // "/static/docs" -> "/static/docs/", so the page's relative links resolve inside the directory.
        if (index.found == Found::File && !slash) return {Found::Redirect, {}};
        return index;
    }

    Resolved resolve_index(const fs::path& dir) const {
        std::error_code ec;
        fs::path real = fs::canonical(dir / "index.html", ec);
        if (ec) return {};
        if (!inside(root_, real)) return {Found::Refused, {}};
        if (!fs::is_regular_file(real, ec)) return {};
        return {Found::File, std::move(real)};
    }

    static void redirect_to_directory(Exchange& ex) {
        std::string_view path = ex.req.raw_path;
        // "//host/dir" would be a protocol-relative URL: an open redirect. One leading slash only.
        while (path.size() > 1 && path[1] == '/') path.remove_prefix(1);
        std::string location(path);
        location += '/';
        if (!ex.req.query.empty()) {
            location += '?';
            location += ex.req.query;
        }
        ex.res.status = 301;
        ex.res.headers.emplace_back("Location", std::move(location));
    }

    void send_file(Exchange& ex, File&& file, const fs::path& path) const {
        Response& res = ex.res;
        const std::uint64_t size = file.size();
        const std::string etag = static_files::make_etag(size, file.mtime_ns());
        const std::int64_t mtime = floor_seconds(file.mtime_ns());
        res.headers.emplace_back("ETag", etag);
        res.headers.emplace_back("Last-Modified", format_http_date(static_cast<std::time_t>(mtime)));
        res.headers.emplace_back("Cache-Control", cache_control_);
        res.headers.emplace_back("Accept-Ranges", "bytes");
        if (not_modified(ex.req, etag, mtime)) {
            res.status = 304;
            return;
        }
        res.content_type = mime_.lookup(path.filename().string());
        // Range is defined for GET only (RFC 9110 14.2); HEAD gets the full representation's headers.
        const auto range = ex.head_only ? static_files::RangeResult{} : requested_range(ex.req, etag, mtime, size);
        switch (range.kind) {
            case static_files::RangeKind::Unsatisfiable:
                make_error(res, 416, "range not satisfiable");
                res.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
                return;
            case static_files::RangeKind::Satisfiable:
                res.status = 206;
                res.headers.emplace_back("Content-Range", content_range(range.first, range.last, size));
                send_body(res, std::move(file), range.first, range.last - range.first + 1, false);
                return;
            case static_files::RangeKind::Ignore:
                send_body(res, std::move(file), 0, size, ex.head_only);
                return;
        }
    }

    const std::string prefix_;
    const fs::path root_;  // canonical
    const std::string cache_control_;
    const static_files::MimeTable mime_;  // read once; shared read-only by every engine thread
};

// ---- HTTP-date parsing --------------------------------------------------------------------------

bool parse_digits(std::string_view s, int& out) noexcept {
    if (s.empty()) return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size() && s.front() != '-' && s.front() != '+';
}

int month_number(std::string_view m) noexcept {
    constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int i = 0; i < 12; ++i)
        if (m == kMonths[i]) return i + 1;
    return 0;
}

// "HH:MM:SS" -> seconds of the day.
std::optional<int> parse_clock(std::string_view s) noexcept {
    int h = 0, m = 0, sec = 0;
    if (s.size() != 8 || s[2] != ':' || s[5] != ':') return std::nullopt;
    if (!parse_digits(s.substr(0, 2), h) || !parse_digits(s.substr(3, 2), m) || !parse_digits(s.substr(6, 2), sec))
        return std::nullopt;
    if (h > 23 || m > 59 || sec > 60) return std::nullopt;  // 60: a leap second
    return h * 3600 + m * 60 + sec;
}

std::optional<std::int64_t> to_epoch(int year, int month, int day, std::optional<int> clock) noexcept {
    using namespace std::chrono;
    if (!clock || month == 0) return std::nullopt;
    const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                             std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok()) return std::nullopt;
    return static_cast<std::int64_t>(sys_days{ymd}.time_since_epoch().count()) * 86400 + *clock;
}

}  // namespace

namespace static_files {

RangeResult parse_range(std::string_view header, std::uint64_t size) noexcept {
    // Positions saturate instead of failing: a huge first-pos is a valid but unsatisfiable position,
    // a huge last-pos or suffix length means "to the end" (RFC 9110 14.1.2).
    const auto position = [](std::string_view s, std::uint64_t& out) {
        if (s.empty()) return false;
        std::uint64_t v = 0;
        for (const char c : s) {
            if (c < '0' || c > '9') return false;
            const auto d = static_cast<std::uint64_t>(c - '0');
            v = v > (std::numeric_limits<std::uint64_t>::max() - d) / 10 ? std::numeric_limits<std::uint64_t>::max()
                                                                         : v * 10 + d;
        }
        out = v;
        return true;
    };
    header = trim_ows(header);
    const std::size_t eq = header.find('=');
    if (eq == std::string_view::npos || !iequals(header.substr(0, eq), "bytes")) return {};
    const std::string_view spec = trim_ows(header.substr(eq + 1));
    if (spec.find(',') != std::string_view::npos) return {};  // several ranges: no multipart/byteranges
    const std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return {};
    const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
    std::uint64_t first = 0, last = std::numeric_limits<std::uint64_t>::max();
    if (a.empty()) {  // "-n": the last n bytes
        std::uint64_t n = 0;
        if (!position(b, n)) return {};
        if (n == 0 || size == 0) return {RangeKind::Unsatisfiable};
        return {RangeKind::Satisfiable, size - std::min(n, size), size - 1};
    }
    if (!position(a, first)) return {};
    if (!b.empty() && (!position(b, last) || last < first)) return {};  // "5-2" is invalid: ignored
    if (first >= size) return {RangeKind::Unsatisfiable};
    return {RangeKind::Satisfiable, first, std::min(last, size - 1)};
}

std::optional<std::int64_t> parse_http_date(std::string_view t) noexcept {
    int day = 0, year = 0;
    const std::size_t comma = t.find(',');
    if (comma == std::string_view::npos) {
        // asctime: "Sun Nov  6 08:49:37 1994"
        if (t.size() != 24 || t[3] != ' ' || t[7] != ' ' || t[10] != ' ' || t[19] != ' ') return std::nullopt;
        const std::string_view d = t[8] == ' ' ? t.substr(9, 1) : t.substr(8, 2);
        if (!parse_digits(d, day) || !parse_digits(t.substr(20, 4), year)) return std::nullopt;
        return to_epoch(year, month_number(t.substr(4, 3)), day, parse_clock(t.substr(11, 8)));
    }
    const std::string_view r = t.substr(comma + 1);
    if (r.size() == 25 && r[0] == ' ' && r[3] == ' ' && r[7] == ' ' && r[12] == ' ' && r.substr(21) == " GMT") {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        if (!parse_digits(r.substr(1, 2), day) || !parse_digits(r.substr(8, 4), year)) return std::nullopt;
        return to_epoch(year, month_number(r.substr(4, 3)), day, parse_clock(r.substr(13, 8)));
    }
    if (r.size() == 23 && r[0] == ' ' && r[3] == '-' && r[7] == '-' && r[10] == ' ' && r.substr(19) == " GMT") {
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". Two-digit years: 70-99 are 19xx, the rest 20xx.
        if (!parse_digits(r.substr(1, 2), day) || !parse_digits(r.substr(8, 2), year)) return std::nullopt;
        year += year >= 70 ? 1900 : 2000;
        return to_epoch(year, month_number(r.substr(4, 3)), day, parse_clock(r.substr(11, 8)));
    }
    return std::nullopt;
}

bool etag_list_matches(std::string_view header, std::string_view etag) noexcept {
    header = trim_ows(header);
    if (header == "*") return true;
    if (etag.starts_with("W/")) etag.remove_prefix(2);
    std::size_t i = 0;
    while (i < header.size()) {
        while (i < header.size() && (header[i] == ' ' || header[i] == '\t' || header[i] == ',')) ++i;
        if (i == header.size()) break;
        if (header.substr(i, 2) == "W/") i += 2;
        // Entity tags cannot contain '"', so the next quote ends this one (commas inside are data).
        if (i >= header.size() || header[i] != '"') return false;  // malformed: nothing matches
        const std::size_t close = header.find('"', i + 1);
        if (close == std::string_view::npos) return false;
        if (header.substr(i, close - i + 1) == etag) return true;
        i = close + 1;
    }
    return false;
}

std::string make_etag(std::uint64_t size, std::int64_t mtime_ns) {
    char digits[17];  // a 64-bit number in hex
    std::string tag = "\"";
    tag.append(digits, std::to_chars(digits, digits + sizeof digits, size, 16).ptr);
    tag += '-';
    tag.append(digits, std::to_chars(digits, digits + sizeof digits, static_cast<std::uint64_t>(mtime_ns), 16).ptr);
    tag += '"';
    return tag;
}

MimeTable::MimeTable(const std::string& mime_types_path) {
    // The file first: it is the system's (and the administrator's) word on types.
    std::ifstream in(mime_types_path);
    std::string line;
    while (in && std::getline(in, line)) {
        std::string_view rest(line);
        if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
        std::string_view type;
        while (!rest.empty()) {
            const std::size_t start = rest.find_first_not_of(" \t\r");
            if (start == std::string_view::npos) break;
            rest.remove_prefix(start);
            const std::size_t end = std::min(rest.find_first_of(" \t\r"), rest.size());
            const std::string_view word = rest.substr(0, end);
            rest.remove_prefix(end);
            if (type.empty()) type = word;
            else if (type.find('/') != std::string_view::npos) add(word, type);
        }
    }
    // The common web types, for systems without a mime.types (Windows, minimal containers).
    constexpr std::pair<std::string_view, std::string_view> kBuiltin[] = {
        {"html", "text/html"},        {"htm", "text/html"},          {"css", "text/css"},
        {"js", "text/javascript"},    {"mjs", "text/javascript"},    {"json", "application/json"},
        {"svg", "image/svg+xml"},     {"png", "image/png"},          {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},       {"gif", "image/gif"},          {"webp", "image/webp"},
        {"ico", "image/vnd.microsoft.icon"}, {"txt", "text/plain"}, {"wasm", "application/wasm"},
        {"woff", "font/woff"},        {"woff2", "font/woff2"},       {"pdf", "application/pdf"},
        {"xml", "application/xml"},
    };
    for (const auto& [ext, type] : kBuiltin) add(ext, type);
}

void MimeTable::add(std::string_view ext, std::string_view type) {
    std::string key(ext);
    for (char& c : key)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (types_.contains(key)) return;  // the first word on an extension wins
    std::string value(type);
    // Browsers otherwise guess the charset of text; the served files are expected to be UTF-8.
    if (value.starts_with("text/")) value += "; charset=utf-8";
    types_.emplace(std::move(key), std::move(value));
}

const std::string& MimeTable::lookup(std::string_view filename) const {
    const std::size_t dot = filename.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == filename.size()) return fallback_;
    std::string ext(filename.substr(dot + 1));
    for (char& c : ext)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    const auto it = types_.find(ext);
    return it == types_.end() ? fallback_ : it->second;
}

}  // namespace static_files

std::shared_ptr<Middleware> make_static_middleware(const Config& config) {
    std::string prefix = config.get_string("prefix", "");
    if (prefix.empty() || prefix.front() != '/') throw std::invalid_argument("static prefix must start with '/'");
    while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
    const std::string directory = config.get_string("directory", "");
    std::error_code ec;
    fs::path root = directory.empty() ? fs::path() : fs::canonical(utf8_path(directory), ec);
    if (directory.empty() || ec || !fs::is_directory(root, ec))
        throw std::invalid_argument("static directory '" + directory + "' does not exist");
    const std::int64_t max_age = config.get_int("max_age", 3600);
    if (max_age < 0) throw std::invalid_argument("static max_age must be >= 0");
    const std::string mime_types = config.get_string("mime_types", "/etc/mime.types");
    return std::make_shared<StaticFiles>(std::move(prefix), std::move(root), max_age, mime_types);
}

}  // namespace cello::engine
