// Beast's HTTP/1.1 response parser, keeping only what a load generator needs (the status) and
// discarding the body as it streams past. Content-Length, chunked and close-delimited bodies
// are Beast's business. One per response: construct a fresh one for the next message.
#pragma once

#include <boost/beast/http/basic_parser.hpp>

namespace cello::inspector::loadgen {

class ResponseCounter final : public boost::beast::http::basic_parser<false> {
public:
    ResponseCounter() {
        body_limit(boost::none);  // the body is dropped, so any size is fine
        header_limit(64 * 1024);
    }
    unsigned status() const noexcept { return status_; }

private:
    using error_code = boost::system::error_code;
    using string_view = boost::beast::string_view;

    void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code&) override {}
    void on_response_impl(int code, string_view, int, error_code&) override { status_ = static_cast<unsigned>(code); }
    void on_field_impl(boost::beast::http::field, string_view, string_view, error_code&) override {}
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
    std::size_t on_body_impl(string_view body, error_code&) override { return body.size(); }
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override { return body.size(); }
    void on_finish_impl(error_code&) override {}

    unsigned status_ = 0;
};

}  // namespace cello::inspector::loadgen
