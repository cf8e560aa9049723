#include "inspector/request_export.hpp"

#include "engine/platform/civil_time.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace cello::inspector {

namespace {

using json = nlohmann::json;

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// Single-quoted for a POSIX shell: ' becomes '\''.
std::string shell_quote(std::string_view s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string target_of(const RequestRow& r) {
    if (!r.target.empty()) return r.target;
    return r.query.empty() ? r.path : r.path + "?" + r.query;
}

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (n == 0) return false;
        if (i + n > s.size()) return true;  // cut in the middle of a character: the preview's end
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
        i += n;
    }
    return true;
}

std::string iso8601(std::int64_t ns) {
    const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
    const std::tm tm = engine::platform::utc_time(secs);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[64];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>((ns / 1'000'000) % 1000));
    return out;
}

json header_list(const std::vector<std::pair<std::string, std::string>>& headers) {
    json out = json::array();
    for (const auto& [name, value] : headers) out.push_back({{"name", name}, {"value", value}});
    return out;
}

json query_list(std::string_view query) {
    json out = json::array();
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        if (!pair.empty())
            out.push_back({{"name", std::string(pair.substr(0, eq))},
                           {"value", eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1))}});
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    }
    return out;
}

}  // namespace

std::string header_value(const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name) {
    for (const auto& [n, v] : headers)
        if (iequal(n, name)) return v;
    return {};
}

bool resent_header(std::string_view name) {
    for (std::string_view own : {"Host", "Content-Length", "Connection", "Transfer-Encoding"})
        if (iequal(name, own)) return false;
    return true;
}

std::string curl_command(const RequestRow& r, std::string_view base_url) {
    std::string cmd = "curl -i";
    if (r.method != "GET") cmd.append(" -X ").append(r.method);
    for (const auto& [name, value] : r.headers) {
        // curl writes its own User-Agent and Accept-Encoding too (and asks for no compression).
        if (!resent_header(name) || iequal(name, "User-Agent") || iequal(name, "Accept-Encoding")) continue;
        cmd.append(" -H ").append(shell_quote(name + ": " + value));  // append: GCC 12 warns on "…" + string&&
    }
    if (!r.body_preview.empty()) cmd.append(" --data-binary ").append(shell_quote(r.body_preview));
    cmd.append(" ").append(shell_quote(std::string(base_url) + target_of(r)));
    if (r.body_preview.size() >= 1024) cmd += "  # the body was recorded up to its first 1024 bytes";
    return cmd;
}

std::string har_json(const std::vector<const RequestRow*>& rows, std::string_view base_url, std::string_view creator_version) {
    json entries = json::array();
    for (const RequestRow* r : rows) {
        const double total_ms = static_cast<double>(r->latency_ns) / 1e6;
        const double handler_ms = static_cast<double>(r->handler_ns) / 1e6;
        const std::string mime = header_value(r->response_headers, "Content-Type");
        json request = {{"method", r->method},
                        {"url", std::string(base_url) + target_of(*r)},
                        {"httpVersion", "HTTP/1.1"},
                        {"cookies", json::array()},
                        {"headers", header_list(r->headers)},
                        {"queryString", query_list(r->query)},
                        {"headersSize", -1},
                        {"bodySize", static_cast<std::int64_t>(r->body_preview.size())}};
        if (!r->body_preview.empty())
            request["postData"] = {{"mimeType", header_value(r->headers, "Content-Type")}, {"text", r->body_preview}};
        json content = {{"size", r->response_size}, {"mimeType", mime}, {"text", r->response_preview}};
        if (r->response_preview.size() < r->response_size)
            content["comment"] = "the body was recorded up to its first " + std::to_string(r->response_preview.size()) + " bytes";
        entries.push_back({{"startedDateTime", iso8601(r->time_ns - r->latency_ns)},
                           {"time", total_ms},
                           {"request", request},
                           {"response", {{"status", r->status},
                                         {"statusText", ""},
                                         {"httpVersion", "HTTP/1.1"},
                                         {"cookies", json::array()},
                                         {"headers", header_list(r->response_headers)},
                                         {"content", content},
                                         {"redirectURL", header_value(r->response_headers, "Location")},
                                         {"headersSize", -1},
                                         {"bodySize", static_cast<std::int64_t>(r->bytes_out)}}},
                           {"cache", json::object()},
                           {"timings", {{"send", 0}, {"wait", handler_ms}, {"receive", std::max(0.0, total_ms - handler_ms)}}}});
    }
    const json har = {{"log", {{"version", "1.2"},
                               {"creator", {{"name", "Cello Studio"}, {"version", std::string(creator_version)}}},
                               {"entries", entries}}}};
    return har.dump(2, ' ', false, json::error_handler_t::replace);
}

BodyView body_view(std::string_view bytes, std::string_view content_type) {
    if (bytes.empty()) return {};
    if (content_type.find("json") != std::string_view::npos || bytes.front() == '{' || bytes.front() == '[') {
        const json parsed = json::parse(bytes, nullptr, false);
        if (!parsed.is_discarded()) return {BodyView::Json, parsed.dump(2, ' ', false, json::error_handler_t::replace)};
    }
    if (valid_utf8(bytes)) return {BodyView::Text, std::string(bytes)};
    std::string dump;  // 16 bytes a line: offset, hex, printable characters
    char line[100];
    for (std::size_t at = 0; at < bytes.size(); at += 16) {
        int n = std::snprintf(line, sizeof line, "%08zx  ", at);
        std::string ascii;
        for (std::size_t i = at; i < at + 16; ++i) {
            if (i < bytes.size()) {
                const auto c = static_cast<unsigned char>(bytes[i]);
                n += std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), "%02x ", c);
                ascii += std::isprint(c) ? static_cast<char>(c) : '.';
            } else {
                n += std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), "   ");
            }
        }
        dump += std::string(line, static_cast<std::size_t>(n)) + " " + ascii + "\n";
    }
    return {BodyView::Binary, dump};
}

}  // namespace cello::inspector
