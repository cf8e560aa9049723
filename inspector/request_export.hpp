// A captured request (RequestRow with detail) as other tools take it: a curl command that sends it
// again, a HAR 1.2 log (the format browsers' network tabs import and export), and its response body
// made readable (indented JSON, text, or a hex dump for binary). No Qt.
#pragma once

#include "inspector/snapshot.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cello::inspector {

// "http://127.0.0.1:8000" + the request's target. Hop-by-hop and length headers are left to curl;
// a body cut to its preview says so in a trailing comment.
std::string curl_command(const RequestRow& r, std::string_view base_url);

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): one entry per row, oldest first.
std::string har_json(const std::vector<const RequestRow*>& rows, std::string_view base_url, std::string_view creator_version);

struct BodyView {
    enum Kind { Empty, Json, Text, Binary } kind = Empty;
    std::string text;  // what to show: indented JSON, the text, or a hex dump
};
// `bytes`: the body (or its first part); `content_type`: the response's, when known.
BodyView body_view(std::string_view bytes, std::string_view content_type);

// Whether a recorded request header is sent again (curl, replay): not the ones the client writes
// itself for the new connection (Host, Content-Length, Connection, Transfer-Encoding).
bool resent_header(std::string_view name);

std::string header_value(const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name);

}  // namespace cello::inspector
