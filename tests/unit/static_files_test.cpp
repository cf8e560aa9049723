// Static files: the parsers (Range, HTTP-date, If-None-Match), the MIME table, and the middleware
// driven through an Exchange on a temporary directory (streams, descriptors, refusals).
#include "engine/conditional.hpp"
#include "engine/http_date.hpp"
#include "engine/metrics/process_stats.hpp"
#include "engine/middleware/static_files.hpp"
#include "engine/mime_table.hpp"
#include "engine/route_table.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace ce = cello::engine;
namespace sf = cello::engine;  // the parsers and the MIME table the static files use
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// ---- Range ----------------------------------------------------------------------------------------

struct RangeCase {
    const char* header;
    std::uint64_t size;
    sf::RangeKind kind;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
};

class RangeTest : public ::testing::TestWithParam<RangeCase> {};

TEST_P(RangeTest, Parses) {
    const RangeCase& c = GetParam();
    const sf::RangeResult r = sf::parse_range(c.header, c.size);
    EXPECT_EQ(r.kind, c.kind) << c.header;
    if (c.kind == sf::RangeKind::Satisfiable) {
        EXPECT_EQ(r.first, c.first) << c.header;
        EXPECT_EQ(r.last, c.last) << c.header;
    }
}

using K = sf::RangeKind;
INSTANTIATE_TEST_SUITE_P(StaticRange, RangeTest, ::testing::Values(
    RangeCase{"bytes=0-4", 10, K::Satisfiable, 0, 4},
    RangeCase{"bytes=5-", 10, K::Satisfiable, 5, 9},
    RangeCase{"bytes=-3", 10, K::Satisfiable, 7, 9},
    RangeCase{"bytes=-10", 10, K::Satisfiable, 0, 9},
    RangeCase{"bytes=-11", 10, K::Satisfiable, 0, 9},
    RangeCase{"bytes=9-9", 10, K::Satisfiable, 9, 9},
    RangeCase{"bytes=3-100", 10, K::Satisfiable, 3, 9},
    RangeCase{"BYTES=1-2", 10, K::Satisfiable, 1, 2},
    RangeCase{"  bytes=1-2\t", 10, K::Satisfiable, 1, 2},
    RangeCase{"bytes=0-99999999999999999999999", 10, K::Satisfiable, 0, 9},
    RangeCase{"bytes=-99999999999999999999999", 10, K::Satisfiable, 0, 9},
    RangeCase{"bytes=10-", 10, K::Unsatisfiable},
    RangeCase{"bytes=10-20", 10, K::Unsatisfiable},
    RangeCase{"bytes=-0", 10, K::Unsatisfiable},
    RangeCase{"bytes=0-0", 0, K::Unsatisfiable},
    RangeCase{"bytes=-5", 0, K::Unsatisfiable},
    RangeCase{"bytes=99999999999999999999999-", 10, K::Unsatisfiable},
    RangeCase{"", 10, K::Ignore},
    RangeCase{"bytes=abc", 10, K::Ignore},
    RangeCase{"bytes=5-2", 10, K::Ignore},
    RangeCase{"items=0-1", 10, K::Ignore},
    RangeCase{"bytes=0-1,3-4", 10, K::Ignore},
    RangeCase{"bytes=0-1,", 10, K::Ignore},
    RangeCase{"bytes=", 10, K::Ignore},
    RangeCase{"bytes=-", 10, K::Ignore},
    RangeCase{"bytes=--1", 10, K::Ignore},
    RangeCase{"bytes=1-2-3", 10, K::Ignore},
    RangeCase{"bytes=+1-2", 10, K::Ignore},
    RangeCase{"bytes = 0-1", 10, K::Ignore},
    RangeCase{"bytes 0-1", 10, K::Ignore},
    RangeCase{"=0-1", 10, K::Ignore}));

TEST(StaticRange, HugeFile) {
    const auto r = sf::parse_range("bytes=-1", kMax);
    EXPECT_EQ(r.kind, K::Satisfiable);
    EXPECT_EQ(r.first, kMax - 1);
    EXPECT_EQ(r.last, kMax - 1);
}

// ---- HTTP-date ------------------------------------------------------------------------------------

TEST(StaticDate, AllThreeFormats) {
    constexpr std::int64_t kExample = 784111777;  // RFC 9110's example instant
    EXPECT_EQ(sf::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), kExample);
    EXPECT_EQ(sf::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), kExample);
    EXPECT_EQ(sf::parse_http_date("Sun Nov  6 08:49:37 1994"), kExample);
    EXPECT_EQ(sf::parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
    EXPECT_EQ(sf::parse_http_date("Tuesday, 01-Jan-30 00:00:00 GMT"), 1893456000);  // 2030
    EXPECT_EQ(sf::parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT"), 1709208000);
}

TEST(StaticDate, RejectsInvalid) {
    for (const char* bad : {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
                            "Sun, 31 Feb 2021 00:00:00 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                            "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
                            "Sun, 06 Nov -994 08:49:37 GMT", "Sun, 06 Nov 1994 08-49-37 GMT",
                            "Sun Nov  6 08:49:37 94  ", "Sun, 06 Nov 1994 08:49:37 GMT "}) {
        EXPECT_FALSE(sf::parse_http_date(bad).has_value()) << bad;
    }
}

// ---- If-None-Match --------------------------------------------------------------------------------

TEST(StaticEtag, Format) {
    EXPECT_EQ(sf::make_etag(0x10, 0xabc), "\"10-abc\"");
    EXPECT_EQ(sf::make_etag(kMax, -1), "\"ffffffffffffffff-ffffffffffffffff\"");
}

TEST(StaticEtag, ListMatchesWeakly) {
    const std::string tag = "\"1f-2e\"";
    EXPECT_TRUE(sf::etag_list_matches("\"1f-2e\"", tag));
    EXPECT_TRUE(sf::etag_list_matches("W/\"1f-2e\"", tag));
    EXPECT_TRUE(sf::etag_list_matches(" * ", tag));
    EXPECT_TRUE(sf::etag_list_matches("\"a\", \"b\",W/\"1f-2e\"", tag));
    EXPECT_TRUE(sf::etag_list_matches("\"x,y\", \"1f-2e\"", tag));  // commas inside a tag are data
    EXPECT_TRUE(sf::etag_list_matches(",,\"1f-2e\",", tag));
    EXPECT_TRUE(sf::etag_list_matches("\"1f-2e\"", "W/\"1f-2e\""));
    EXPECT_FALSE(sf::etag_list_matches("", tag));
    EXPECT_FALSE(sf::etag_list_matches("\"1f-2f\"", tag));
    EXPECT_FALSE(sf::etag_list_matches("1f-2e", tag));
    EXPECT_FALSE(sf::etag_list_matches("\"1f-2e", tag));
    EXPECT_FALSE(sf::etag_list_matches("*, \"1f-2e\"", tag));  // '*' only on its own; malformed
    EXPECT_FALSE(sf::etag_list_matches("\"a\" junk \"1f-2e\"", tag));
}

// ---- MIME table -----------------------------------------------------------------------------------

class TempDir {
public:
    TempDir() {
        path_ = fs::temp_directory_path() / ("cello-static-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    void write(const std::string& name, const std::string& data) const {
        fs::create_directories((path_ / name).parent_path());
        std::ofstream(path_ / name, std::ios::binary) << data;
    }

private:
    fs::path path_;
};

TEST(StaticMime, BuiltinWithoutFile) {
    const sf::MimeTable t("/nonexistent/mime.types");
    EXPECT_EQ(t.lookup("a.html"), "text/html; charset=utf-8");
    EXPECT_EQ(t.lookup("A.CSS"), "text/css; charset=utf-8");
    EXPECT_EQ(t.lookup("x.min.js"), "text/javascript; charset=utf-8");
    EXPECT_EQ(t.lookup("m.mjs"), "text/javascript; charset=utf-8");
    EXPECT_EQ(t.lookup("d.json"), "application/json");
    EXPECT_EQ(t.lookup("i.svg"), "image/svg+xml");
    EXPECT_EQ(t.lookup("p.png"), "image/png");
    EXPECT_EQ(t.lookup("p.jpg"), "image/jpeg");
    EXPECT_EQ(t.lookup("g.gif"), "image/gif");
    EXPECT_EQ(t.lookup("w.webp"), "image/webp");
    EXPECT_EQ(t.lookup("favicon.ico"), "image/vnd.microsoft.icon");
    EXPECT_EQ(t.lookup("r.txt"), "text/plain; charset=utf-8");
    EXPECT_EQ(t.lookup("m.wasm"), "application/wasm");
    EXPECT_EQ(t.lookup("f.woff2"), "font/woff2");
    EXPECT_EQ(t.lookup("d.pdf"), "application/pdf");
    EXPECT_EQ(t.lookup("f.xml"), "application/xml");
    EXPECT_EQ(t.lookup("noext"), "application/octet-stream");
    EXPECT_EQ(t.lookup("trailing."), "application/octet-stream");
    EXPECT_EQ(t.lookup(".hidden"), "application/octet-stream");
    EXPECT_EQ(t.lookup("x.unknownext"), "application/octet-stream");
}

TEST(StaticMime, FileFirstThenBuiltin) {
    TempDir dir;
    dir.write("mime.types",
              "# comment line\n"
              "text/x-custom  cust CUST2   # trailing comment\n"
              "application/x-override\thtml\n"
              "application/x-none\n"
              "\n"
              "bogus-without-slash foo\n");
    const sf::MimeTable t((dir.path() / "mime.types").string());
    EXPECT_EQ(t.lookup("a.cust"), "text/x-custom; charset=utf-8");
    EXPECT_EQ(t.lookup("a.cust2"), "text/x-custom; charset=utf-8");
    EXPECT_EQ(t.lookup("a.html"), "application/x-override");  // the file wins
    EXPECT_EQ(t.lookup("a.css"), "text/css; charset=utf-8");  // built-in fills the gaps
    EXPECT_EQ(t.lookup("a.foo"), "application/octet-stream");
}

TEST(StaticMime, SystemTableWhenPresent) {
    if (!fs::exists("/etc/mime.types")) GTEST_SKIP() << "no /etc/mime.types";
    const sf::MimeTable t("/etc/mime.types");
    EXPECT_GT(t.size(), 500u);
    EXPECT_EQ(t.lookup("a.csv"), "text/csv; charset=utf-8");
    EXPECT_EQ(t.lookup("a.js"), "text/javascript; charset=utf-8");
}

// ---- the middleware through an Exchange -----------------------------------------------------------

// Descriptors (handles) this process has open, as /metrics reports them; 0 where the platform does
// not say (wine's GetProcessHandleCount).
std::size_t open_fds() {
    const auto stats = ce::read_process_stats();
    return stats ? static_cast<std::size_t>(stats->open_fds) : 0;
}

class StaticMiddlewareTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_.write("public/hello.txt", "hello");
        dir_.write("public/docs/index.html", "<h1>docs</h1>");
        big_.resize(200 * 1024);
        for (std::size_t i = 0; i < big_.size(); ++i) big_[i] = static_cast<char>('a' + i % 26);
        dir_.write("public/big.bin", big_);
        dir_.write("secret.txt", "secret");
        try {  // (Windows: only with the privilege to make symbolic links)
            fs::create_symlink(dir_.path() / "secret.txt", dir_.path() / "public" / "out");
        } catch (const fs::filesystem_error&) {
            symlinks_ = false;
        }
        ce::Config config;
        config.set("prefix", std::string("/static"));
        config.set("directory", (dir_.path() / "public").string());
        config.set("max_age", std::int64_t{60});
        mw_ = ce::make_static_middleware(config);
    }

    // Runs before() for one request; headers as name/value pairs.
    bool run(std::string_view method, std::string_view path, std::vector<ce::Header> headers = {}) {
        headers_ = std::move(headers);
        req_ = ce::Request{};
        req_.method = method;
        req_.target = req_.raw_path = req_.path = path;
        req_.headers = headers_.data();
        req_.header_count = headers_.size();
        res_.clear();
        // Exchange's later members have defaults: naming the first three is intended.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
        ce::Exchange ex{table_, req_, res_};
#pragma GCC diagnostic pop
        ce::Method m{};
        ex.method = ce::parse_method(method, m) ? static_cast<std::uint8_t>(m) : ce::kUnknownMethod;
        ex.head_only = method == "HEAD";
        return mw_->before(ex);
    }

    std::string header(std::string_view name) const {
        for (const auto& [n, v] : res_.headers)
            if (ce::iequals(n, name)) return v;
        return {};
    }

    std::string drain() {
        std::string body, chunk;
        while (res_.stream->next(chunk)) {
            EXPECT_LE(chunk.size(), 64u * 1024);
            body += chunk;
        }
        return body;
    }

    TempDir dir_;
    std::string big_;
    bool symlinks_ = true;  // public/out, a link out of the root, could be made
    std::shared_ptr<ce::Middleware> mw_;
    ce::RouteTable table_;
    ce::Request req_;
    ce::Response res_;
    std::vector<ce::Header> headers_;
};

TEST_F(StaticMiddlewareTest, SmallFileIsReadWhole) {
    ASSERT_TRUE(run("GET", "/static/hello.txt"));
    EXPECT_EQ(res_.status, 200);
    EXPECT_EQ(res_.body, "hello");
    EXPECT_FALSE(res_.stream);
    EXPECT_EQ(res_.content_type, "text/plain; charset=utf-8");
    EXPECT_EQ(header("Cache-Control"), "public, max-age=60");
    EXPECT_EQ(header("Accept-Ranges"), "bytes");
}

TEST_F(StaticMiddlewareTest, LargeFileIsStreamedAndClosesItsDescriptor) {
    const std::size_t fds = open_fds();
    ASSERT_TRUE(run("GET", "/static/big.bin"));
    ASSERT_TRUE(res_.stream);
    EXPECT_EQ(res_.stream_length, static_cast<std::int64_t>(big_.size()));
    if (fds) {  // (0: not counted here)
        EXPECT_EQ(open_fds(), fds + 1);
    }
    std::string chunk;
    ASSERT_TRUE(res_.stream->next(chunk));  // a client that goes away after one chunk
    res_.stream.reset();
    if (fds) {  // (0: not counted here)
        EXPECT_EQ(open_fds(), fds);
    }
    ASSERT_TRUE(run("GET", "/static/big.bin"));
    EXPECT_EQ(drain(), big_);
    res_.clear();
    if (fds) {  // (0: not counted here)
        EXPECT_EQ(open_fds(), fds);
    }
}

TEST_F(StaticMiddlewareTest, RangeOfALargeFile) {
    ASSERT_TRUE(run("GET", "/static/big.bin", {{"Range", "bytes=1000-150000"}}));
    EXPECT_EQ(res_.status, 206);
    EXPECT_EQ(header("Content-Range"), "bytes 1000-150000/204800");
    EXPECT_EQ(res_.stream_length, 149001);
    EXPECT_EQ(drain(), big_.substr(1000, 149001));
}

TEST_F(StaticMiddlewareTest, HeadIsSizedWithoutOpeningAStream) {
    const std::size_t fds = open_fds();
    ASSERT_TRUE(run("HEAD", "/static/big.bin"));
    EXPECT_EQ(res_.status, 200);
    ASSERT_TRUE(res_.stream);
    EXPECT_EQ(res_.stream_length, static_cast<std::int64_t>(big_.size()));
    if (fds) {  // (0: not counted here)
        EXPECT_EQ(open_fds(), fds);  // the descriptor is not kept for a body that is never sent
    }
    std::string chunk;
    EXPECT_FALSE(res_.stream->next(chunk));
}

TEST_F(StaticMiddlewareTest, NotModified) {
    ASSERT_TRUE(run("GET", "/static/hello.txt"));
    const std::string etag = header("ETag");
    const std::string lm = header("Last-Modified");
    ASSERT_TRUE(run("GET", "/static/hello.txt", {{"If-None-Match", etag}}));
    EXPECT_EQ(res_.status, 304);
    EXPECT_TRUE(res_.body.empty());
    ASSERT_TRUE(run("GET", "/static/hello.txt", {{"If-Modified-Since", lm}}));
    EXPECT_EQ(res_.status, 304);
    // several If-None-Match lines form one list
    ASSERT_TRUE(run("GET", "/static/hello.txt", {{"If-None-Match", "\"x\""}, {"if-none-match", etag}}));
    EXPECT_EQ(res_.status, 304);
}

TEST_F(StaticMiddlewareTest, MissingFallsThroughRefusedIs404) {
    EXPECT_FALSE(run("GET", "/static/missing"));
    EXPECT_FALSE(run("GET", "/elsewhere/hello.txt"));
    EXPECT_FALSE(run("GET", "/statichello.txt"));
    for (const char* path : {"/static/../secret.txt", "/static/docs/../../secret.txt", "/static/out",
                             "/static/..\\secret.txt", "/static/.hidden"}) {
        if (!symlinks_ && std::string_view(path) == "/static/out") continue;
        ASSERT_TRUE(run("GET", path)) << path;
        EXPECT_EQ(res_.status, 404) << path;
        EXPECT_EQ(res_.body.find("secret\""), std::string::npos);
    }
    const std::string nul("/static/hello.txt\0.png", 22);
    ASSERT_TRUE(run("GET", nul));
    EXPECT_EQ(res_.status, 404);
}

TEST_F(StaticMiddlewareTest, DirectoriesAndMethods) {
    ASSERT_TRUE(run("GET", "/static/docs/"));
    EXPECT_EQ(res_.body, "<h1>docs</h1>");
    ASSERT_TRUE(run("GET", "/static/docs"));
    EXPECT_EQ(res_.status, 301);
    EXPECT_EQ(header("Location"), "/static/docs/");
    ASSERT_TRUE(run("POST", "/static/hello.txt"));
    EXPECT_EQ(res_.status, 405);
    EXPECT_EQ(header("Allow"), "GET, HEAD, OPTIONS");
    ASSERT_TRUE(run("OPTIONS", "/static/hello.txt"));
    EXPECT_EQ(res_.status, 204);
    EXPECT_FALSE(run("OPTIONS", "/static/hello.txt", {{"Access-Control-Request-Method", "GET"}}));
}

TEST(StaticConfig, BadSettingsThrow) {
    const auto make = [](std::string prefix, std::string directory, std::int64_t max_age) {
        ce::Config c;
        c.set("prefix", std::move(prefix));
        c.set("directory", std::move(directory));
        c.set("max_age", max_age);
        return ce::make_static_middleware(c);
    };
    EXPECT_THROW(make("static", "/tmp", 0), std::invalid_argument);
    EXPECT_THROW(make("", "/tmp", 0), std::invalid_argument);
    EXPECT_THROW(make("/s", "/nonexistent/dir", 0), std::invalid_argument);
    EXPECT_THROW(make("/s", "", 0), std::invalid_argument);
    EXPECT_THROW(make("/s", "/etc/hostname", 0), std::invalid_argument);
    EXPECT_THROW(make("/s", "/tmp", -1), std::invalid_argument);
    EXPECT_NO_THROW(make("/s/", "/tmp", 0));
    EXPECT_NO_THROW(make("/", "/tmp", 0));
}

}  // namespace
