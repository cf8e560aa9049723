// A captured request as curl, as HAR 1.2, and its body made readable.
#include "inspector/request_export.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace cello::inspector;

namespace {
RequestRow posted() {
    RequestRow r;
    r.time_ns = 1'700'000'000'250'000'000;
    r.method = "POST";
    r.path = "/items";
    r.query = "x=1&y";
    r.target = "/items?x=1&y";
    r.status = 201;
    r.latency_ns = 3'000'000;
    r.handler_ns = 1'000'000;
    r.bytes_out = 120;
    r.has_detail = true;
    r.headers = {{"Host", "127.0.0.1:8000"}, {"Content-Type", "application/json"}, {"X-Note", "it's"}, {"Content-Length", "13"}};
    r.body_preview = R"({"name":"a"})";
    r.response_headers = {{"Content-Type", "application/json"}};
    r.response_preview = R"({"id":7})";
    r.response_size = 8;
    return r;
}
}  // namespace

TEST(RequestExport, CurlSendsTheSameRequestToTheServer) {
    const std::string cmd = curl_command(posted(), "http://127.0.0.1:9000");
    EXPECT_EQ(cmd, "curl -i -X POST -H 'Content-Type: application/json' -H 'X-Note: it'\\''s' "
                   "--data-binary '{\"name\":\"a\"}' 'http://127.0.0.1:9000/items?x=1&y'");
    RequestRow get;
    get.method = "GET";
    get.path = "/a";
    EXPECT_EQ(curl_command(get, "http://h:1"), "curl -i 'http://h:1/a'");
}

TEST(RequestExport, HarHasTheEntriesBrowsersImport) {
    const RequestRow r = posted();
    const auto har = nlohmann::json::parse(har_json({&r}, "http://127.0.0.1:9000", "1.2.3"));
    EXPECT_EQ(har["log"]["version"], "1.2");
    EXPECT_EQ(har["log"]["creator"]["version"], "1.2.3");
    const auto& e = har["log"]["entries"].at(0);
    EXPECT_EQ(e["startedDateTime"], "2023-11-14T22:13:20.247Z");  // the request's start: its end less its latency
    EXPECT_DOUBLE_EQ(e["time"].get<double>(), 3.0);
    EXPECT_EQ(e["request"]["url"], "http://127.0.0.1:9000/items?x=1&y");
    EXPECT_EQ(e["request"]["queryString"].size(), 2u);
    EXPECT_EQ(e["request"]["queryString"][1]["name"], "y");
    EXPECT_EQ(e["request"]["postData"]["text"], R"({"name":"a"})");
    EXPECT_EQ(e["response"]["status"], 201);
    EXPECT_EQ(e["response"]["content"]["text"], R"({"id":7})");
    EXPECT_EQ(e["response"]["content"]["mimeType"], "application/json");
    EXPECT_FALSE(e["response"]["content"].contains("comment"));  // not cut
    EXPECT_DOUBLE_EQ(e["timings"]["wait"].get<double>(), 1.0);
}

TEST(RequestExport, BodiesAreShownAsJsonTextOrHex) {
    const auto j = body_view(R"({"a":[1,2]})", "application/json");
    EXPECT_EQ(j.kind, BodyView::Json);
    EXPECT_EQ(j.text, "{\n  \"a\": [\n    1,\n    2\n  ]\n}");
    EXPECT_EQ(body_view(R"({"cut":)", "application/json").kind, BodyView::Text);  // a preview cut short stays text
    EXPECT_EQ(body_view("héllo", "text/plain").kind, BodyView::Text);
    const auto bin = body_view(std::string("\x89PNG\r\n\x1a\n\0\0", 10), "image/png");
    EXPECT_EQ(bin.kind, BodyView::Binary);
    EXPECT_EQ(bin.text.substr(0, 40), "00000000  89 50 4e 47 0d 0a 1a 0a 00 00 ");
    EXPECT_NE(bin.text.find(".PNG...."), std::string::npos);
    EXPECT_EQ(body_view("", "").kind, BodyView::Empty);
}
