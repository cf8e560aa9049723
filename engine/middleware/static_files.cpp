#include "engine/middleware/static_files.hpp"

#include "engine/file_response.hpp"
#include "engine/mime_table.hpp"
#include "engine/router.hpp"
#include "engine/status.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace cello::engine {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kAllow = "GET, HEAD, OPTIONS";

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
        FileOptions options;
        options.mime = &mime_;
        options.cache_control = cache_control_;
        options.head_only = ex.head_only;
        // Gone or unreadable since resolve(): treated as missing (the app's routes, else 404).
        return respond_with_file(ex.req, ex.res, r.file, options).outcome == FileOutcome::Sent;
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

    const std::string prefix_;
    const fs::path root_;  // canonical
    const std::string cache_control_;
    const MimeTable mime_;  // read once; shared read-only by every engine thread
};

}  // namespace

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
