// One HTTP/2 connection of a worker (an nghttp2 client session), for `cello bench --http2`: h2 by
// ALPN over https://, h2c with prior knowledge over http://. Keeps up to `pipeline` streams open,
// a request on each (as h2load's -m), and reports each answer when its stream closes.
#pragma once

#include "inspector/loadgen/client_transport.hpp"
#include "inspector/loadgen/load_connection.hpp"

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cello::inspector::loadgen {

class Http2Connection final : public LoadConnection {
public:
    Http2Connection(Worker& worker, unsigned index);
    void connect() override;

private:
    struct SessionDeleter {
        void operator()(nghttp2_session* s) const noexcept { nghttp2_session_del(s); }
    };

    void pump() override;
    void close_transport() override;
    bool start_session();
    void read();
    void on_read(std::size_t n);
    void flush();  // writes what the session has queued (frames, acks, window updates)
    bool submit(InFlight request);
    std::size_t position(std::int32_t stream) noexcept;  // in the requests in flight; in_flight() if absent
    InFlight* find(std::int32_t stream) noexcept;
    void on_stream_closed(std::int32_t stream, std::uint32_t error_code);

    static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
                         const std::uint8_t* value, std::size_t valuelen, std::uint8_t flags, void* self);
    static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* self);
    static int on_stream_close(nghttp2_session*, std::int32_t stream, std::uint32_t error_code, void* self);
    static ssize_t read_body(nghttp2_session*, std::int32_t stream, std::uint8_t* buf, std::size_t length,
                             std::uint32_t* flags, nghttp2_data_source*, void* self);

    ClientTransport transport_;
    std::unique_ptr<nghttp2_session, SessionDeleter> session_;  // one per connection attempt
    std::vector<std::vector<nghttp2_nv>> requests_;  // per target, pointing into the plan's fields
    std::vector<std::uint8_t> input_;
    std::string output_;
    Clock::time_point now_{};  // when the input being processed arrived
    bool goaway_ = false;      // the server said GOAWAY: no new streams; reconnect once the open ones end
};

}  // namespace cello::inspector::loadgen
