// respond_with_file() on its own (the static-files tests cover it through the middleware): the
// outcomes that leave the response untouched, and the options Response.file uses.
#include "engine/file_response.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace ce = cello::engine;
namespace fs = std::filesystem;

namespace {

class FileResponseTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("cello-file-response-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "sub");
        std::ofstream(dir_ / "data.bin", std::ios::binary) << "0123456789";
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    ce::FileResult run(const fs::path& path, const ce::FileOptions& options, std::vector<ce::Header> headers = {}) {
        headers_ = std::move(headers);
        req_ = ce::Request{};
        req_.method = options.head_only ? "HEAD" : "GET";
        req_.headers = headers_.data();
        req_.header_count = headers_.size();
        res_.clear();
        return ce::respond_with_file(req_, res_, path, options);
    }

    std::string header(std::string_view name) const {
        for (const auto& [n, v] : res_.headers)
            if (ce::iequals(n, name)) return v;
        return {};
    }

    fs::path dir_;
    std::vector<ce::Header> headers_;
    ce::Request req_;
    ce::Response res_;
};

TEST_F(FileResponseTest, MissingAndDirectoryLeaveTheResponseUntouched) {
    ce::FileResult r = run(dir_ / "nope.txt", {});
    EXPECT_EQ(r.outcome, ce::FileOutcome::Missing);
    EXPECT_EQ(r.error, ENOENT);
    r = run(dir_ / "data.bin" / "below", {});
    EXPECT_EQ(r.outcome, ce::FileOutcome::Missing);  // ENOTDIR
    r = run(dir_ / "sub", {});
    EXPECT_EQ(r.outcome, ce::FileOutcome::NotRegular);
    EXPECT_EQ(res_.status, 200);
    EXPECT_TRUE(res_.headers.empty());
    EXPECT_TRUE(res_.body.empty());
    EXPECT_TRUE(res_.content_type.empty());
}

TEST_F(FileResponseTest, DefaultsGuessTheTypeAndSendNoCacheControl) {
    ASSERT_EQ(run(dir_ / "data.bin", {}).outcome, ce::FileOutcome::Sent);
    EXPECT_EQ(res_.body, "0123456789");
    EXPECT_EQ(res_.content_type, "application/octet-stream");
    EXPECT_EQ(header("Cache-Control"), "");
    EXPECT_EQ(header("Accept-Ranges"), "bytes");
    EXPECT_FALSE(header("ETag").empty());
    EXPECT_FALSE(header("Last-Modified").empty());
}

TEST_F(FileResponseTest, TypeFromAnotherNameOrGiven) {
    ce::FileOptions o;
    o.type_name = "report.PDF";
    ASSERT_EQ(run(dir_ / "data.bin", o).outcome, ce::FileOutcome::Sent);
    EXPECT_EQ(res_.content_type, "application/pdf");
    o.content_type = "application/x-mine";
    ASSERT_EQ(run(dir_ / "data.bin", o).outcome, ce::FileOutcome::Sent);
    EXPECT_EQ(res_.content_type, "application/x-mine");
}

TEST_F(FileResponseTest, CallersEtagIsTheValidator) {
    ce::FileOptions o;
    o.etag = "\"v1\"";
    ASSERT_EQ(run(dir_ / "data.bin", o, {{"If-None-Match", "\"v1\""}}).outcome, ce::FileOutcome::Sent);
    EXPECT_EQ(res_.status, 304);
    EXPECT_EQ(header("ETag"), "\"v1\"");
    ASSERT_EQ(run(dir_ / "data.bin", o, {{"Range", "bytes=2-4"}, {"If-Range", "\"v1\""}}).outcome, ce::FileOutcome::Sent);
    EXPECT_EQ(res_.status, 206);
    EXPECT_EQ(res_.body, "234");
    EXPECT_EQ(header("Content-Range"), "bytes 2-4/10");
}

TEST_F(FileResponseTest, WithoutConditionalsTheWholeFileIsSent) {
    ce::FileOptions o;
    o.conditional = false;
    ASSERT_EQ(run(dir_ / "data.bin", o, {{"Range", "bytes=2-4"}, {"If-None-Match", "*"}}).outcome, ce::FileOutcome::Sent);
    EXPECT_EQ(res_.status, 200);
    EXPECT_EQ(res_.body, "0123456789");
}

TEST_F(FileResponseTest, HeadIsSizedWithoutABody) {
    ce::FileOptions o;
    o.head_only = true;
    ASSERT_EQ(run(dir_ / "data.bin", o, {{"Range", "bytes=2-4"}}).outcome, ce::FileOutcome::Sent);
    EXPECT_EQ(res_.status, 200);
    ASSERT_TRUE(res_.stream);
    EXPECT_EQ(res_.stream_length, 10);
    EXPECT_TRUE(res_.body.empty());
}

}  // namespace
