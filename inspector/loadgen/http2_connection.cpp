#include "inspector/loadgen/http2_connection.hpp"

#include "inspector/loadgen/load_worker.hpp"

#include <boost/asio/buffer.hpp>

#include <algorithm>
#include <cstring>

namespace cello::inspector::loadgen {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kWriteChunk = 64 * 1024;  // frames gathered before a write goes out
// As h2load: windows of 2^30 - 1 for every stream and the connection, so a run measures the
// server, not our flow control.
constexpr std::int32_t kWindow = (1 << 30) - 1;

Http2Connection& self_of(void* p) { return *static_cast<Http2Connection*>(p); }

}  // namespace

Http2Connection::Http2Connection(Worker& worker, unsigned index)
    : LoadConnection(worker, index), transport_(worker.io()), input_(kReadChunk) {
    // NO_COPY: the plan's strings outlive every session; nghttp2 only reads them.
    constexpr auto kNoCopy = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;
    for (const auto& fields : plan_.http2_requests) {
        auto& nva = requests_.emplace_back();
        for (const auto& [name, value] : fields)
            nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                           reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                           kNoCopy});
    }
}

void Http2Connection::connect() {
    if (state_ != State::Closed) return;
    state_ = State::Connecting;
    connect_started_ = Clock::now();
    transport_.open(plan_, [this, epoch = epoch_](error_code ec) {
        if (epoch != epoch_) return;
        worker_.connect_settled();
        // Over TLS the server must choose h2 (one that only speaks HTTP/1.1 fails every connect).
        if (ec || (plan_.config.tls && transport_.alpn() != "h2") || !start_session()) {
            fail(&ErrorCounts::connect);
            return;
        }
        state_ = State::Open;
        read();
        pump();  // our SETTINGS (and, once running, the first requests)
    });
}

bool Http2Connection::start_session() {
    nghttp2_session_callbacks* callbacks = nullptr;
    if (nghttp2_session_callbacks_new(&callbacks) != 0) return false;
    nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
    nghttp2_session* session = nullptr;
    const int rv = nghttp2_session_client_new(&session, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    if (rv != 0) return false;
    session_.reset(session);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(kWindow)},
    };
    goaway_ = false;
    return nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, std::size(settings)) == 0 &&
           nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0, kWindow) == 0;
}

void Http2Connection::read() {
    transport_.read_some(asio::buffer(input_), [this, epoch = epoch_](error_code ec, std::size_t n) {
        if (epoch != epoch_) return;
        if (ec) {
            // The server may close an idle connection; that is no error.
            if (in_flight() == 0 && ec == asio::error::eof) {
                reset();
                if (worker_.running()) connect();
                return;
            }
            fail(&ErrorCounts::read);
            return;
        }
        on_read(n);
    });
}

void Http2Connection::on_read(std::size_t n) {
    if (worker_.running()) worker_.count_bytes(n);
    now_ = Clock::now();
    if (nghttp2_session_mem_recv(session_.get(), input_.data(), n) < 0) {  // a protocol error (not HTTP/2?)
        fail(&ErrorCounts::read);
        return;
    }
    // Unlike HTTP/1.1, the server speaks first (its SETTINGS): reading goes on before the run starts.
    if (worker_.ended()) return;
    const auto epoch = epoch_;
    pump();
    if (epoch == epoch_) read();  // else the connection was closed (and maybe opened again) meanwhile
}

void Http2Connection::pump() {
    if (state_ != State::Open) return;
    if (worker_.running() && !goaway_) {
        const auto now = Clock::now();
        while (has_room()) {
            const auto request = next_request(now);
            if (!request || !submit(*request)) break;
        }
    }
    if (state_ == State::Open) flush();
    if (state_ != State::Open) return;  // failed
    // Done with: after a GOAWAY once the last stream ended, or when the session itself is over
    // (nghttp2 said GOAWAY after a protocol error). Then a new connection.
    const bool over = nghttp2_session_want_read(session_.get()) == 0 && nghttp2_session_want_write(session_.get()) == 0;
    if ((goaway_ || over) && in_flight() == 0) {
        reset();
        if (worker_.running()) connect();
    } else if (over) {
        fail(&ErrorCounts::read);  // streams in flight that will not be answered
    }
}

// Beyond the server's stream limit nghttp2 holds the request back until a stream ends.
bool Http2Connection::submit(InFlight request) {
    nghttp2_data_provider body{};
    body.read_callback = read_body;
    const auto& nva = requests_[request.target];
    const auto stream = nghttp2_submit_request(session_.get(), nullptr, nva.data(), nva.size(),
                                               plan_.config.body.empty() ? nullptr : &body, nullptr);
    if (stream == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {  // 2^30 requests: finish these, then a new connection
        goaway_ = true;
        return false;
    }
    if (stream < 0) {
        fail(&ErrorCounts::write);
        return false;
    }
    request.stream = stream;
    push(request);
    return true;
}

void Http2Connection::flush() {
    if (writing_ || !session_) return;
    output_.clear();
    while (output_.size() < kWriteChunk) {
        const std::uint8_t* data = nullptr;
        const auto n = nghttp2_session_mem_send(session_.get(), &data);
        if (n < 0) {
            fail(&ErrorCounts::write);
            return;
        }
        if (n == 0) break;
        output_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (output_.empty()) return;
    writing_ = true;
    transport_.write(asio::buffer(output_), [this, epoch = epoch_](error_code ec, std::size_t) {
        if (epoch != epoch_) return;
        writing_ = false;
        if (ec) {
            fail(&ErrorCounts::write);
            return;
        }
        pump();
    });
}

// Streams are opened in order, so their ids rise from the oldest request in flight to the newest.
std::size_t Http2Connection::position(std::int32_t stream) noexcept {
    std::size_t lo = 0, hi = in_flight();
    while (lo < hi) {
        const auto mid = (lo + hi) / 2;
        if (at(mid).stream < stream) lo = mid + 1;
        else hi = mid;
    }
    return lo < in_flight() && at(lo).stream == stream ? lo : in_flight();
}

InFlight* Http2Connection::find(std::int32_t stream) noexcept {
    const auto i = position(stream);
    return i < in_flight() ? &at(i) : nullptr;
}

void Http2Connection::on_stream_closed(std::int32_t stream, std::uint32_t error_code) {
    const auto i = position(stream);
    if (i == in_flight()) return;
    const InFlight done = at(i);
    remove(i);
    if (error_code == NGHTTP2_NO_ERROR && done.status >= 200) worker_.record(done, done.status, now_);
    // Refused by a GOAWAY (beyond its last stream): never processed, lost like the requests in
    // flight when an HTTP/1.1 server says Connection: close. Any other reset is a failed request.
    else if (!(goaway_ && error_code == NGHTTP2_REFUSED_STREAM) && worker_.running())
        worker_.count_error(&ErrorCounts::read);
}

void Http2Connection::close_transport() {
    transport_.close();
    session_.reset();
    output_.clear();
}

int Http2Connection::on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                               std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
                               void* self) {
    if (frame->hd.type != NGHTTP2_HEADERS || namelen != 7 || std::memcmp(name, ":status", 7) != 0) return 0;
    if (InFlight* f = self_of(self).find(frame->hd.stream_id)) {
        unsigned status = 0;
        for (std::size_t i = 0; i < valuelen && value[i] >= '0' && value[i] <= '9'; ++i) status = status * 10 + (value[i] - '0');
        f->status = status;  // an interim 1xx is followed by the final status
    }
    return 0;
}

int Http2Connection::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* self) {
    if (frame->hd.type == NGHTTP2_GOAWAY) self_of(self).goaway_ = true;
    return 0;
}

int Http2Connection::on_stream_close(nghttp2_session*, std::int32_t stream, std::uint32_t error_code, void* self) {
    self_of(self).on_stream_closed(stream, error_code);
    return 0;
}

ssize_t Http2Connection::read_body(nghttp2_session*, std::int32_t stream, std::uint8_t* buf, std::size_t length,
                                   std::uint32_t* flags, nghttp2_data_source*, void* self) {
    auto& c = self_of(self);
    InFlight* f = c.find(stream);
    if (!f) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream
    const std::string& body = c.plan_.config.body;
    const auto n = std::min(length, body.size() - f->body_sent);
    std::memcpy(buf, body.data() + f->body_sent, n);
    f->body_sent += n;
    if (f->body_sent == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
}

}  // namespace cello::inspector::loadgen
