// One HTTP/2 connection. nghttp2 parses and builds the frames (HPACK, flow control, stream states,
// the protocol's checks of requests); this file feeds it what is read, writes what it produces,
// and runs each request stream through dispatch like an HTTP/1.1 request:
//
//   stream opened (HEADERS) ── fields collected (bounded) ── END_STREAM ──> dispatch ──┬─ answer ──> HEADERS + DATA
//        │                                                                           └─ pending ──> resumed ──┘
//        └── RST_STREAM from the client, or the connection ends ──> abandoned (a pending handler is cancelled)
//
// A streamed body (generators, SSE, files) is pulled as nghttp2 asks for DATA; a source with
// nothing yet defers the stream until it calls back. A request body up to body_buffer_bytes
// arrives whole before dispatch; a larger one (by its content-length, or once it grows past) is
// dispatched at once and handed to the handler as it arrives (an IncomingBody, as over HTTP/1.1),
// its flow-control window opened only as the handler takes the bytes (back-pressure);
// max_body_bytes: 413 beyond. Bounds against hostile clients: nghttp2's own (a rate limit on
// stream resets, at most 8 CONTINUATION frames per header block, a bound on queued control-frame
// acknowledgements: PING/SETTINGS floods), the header list size (431 beyond), the concurrent
// streams, the idle and write timeouts. A graceful stop sends GOAWAY and lets open streams finish.
//
// Ownership: pending operations (the read, the write, a pending handler's wake-up, a stream
// source's ready callback) hold the session.
#include "engine/net/http2_session.hpp"

#include "engine/net/connection.hpp"
#include "engine/net/exchange_driver.hpp"
#include "engine/net/incoming_body.hpp"
#include "engine/net/lingering_close.hpp"
#include "engine/net/worker.hpp"
#include "engine/status.hpp"
#include "engine/telemetry/telemetry.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#if CELLO_TLS
#include <boost/asio/ssl/error.hpp>
#endif

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>
#include <vector>

namespace cello::engine::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kWriteBatch = 64 * 1024;  // nghttp2's output gathered into one write
constexpr std::uint64_t kNoDeadline = std::numeric_limits<std::uint64_t>::max();
constexpr std::size_t kBodyWindow = 256 * 1024;  // a streamed request body's bytes waiting for the handler
// Request bodies kept whole (and so read at once, their window reopened) on one connection at
// most: beyond, a stream's body goes to its handler as it arrives, whose reading paces it. Without
// this bound a client could park max_concurrent_streams × body_buffer_bytes on a connection.
constexpr std::size_t kMaxBufferedBodies = 4 * 1024 * 1024;

// Connection-specific fields have no place in HTTP/2 (RFC 9113 8.2.2): left out of responses.
bool connection_specific(std::string_view name) {
    return iequals(name, "connection") || iequals(name, "keep-alive") || iequals(name, "proxy-connection") ||
           iequals(name, "transfer-encoding") || iequals(name, "upgrade");
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// One request stream.
struct H2Stream {
    H2Stream(asio::io_context& io, std::int32_t stream_id) : id(stream_id), x(io) {}

    std::int32_t id;
    // the request as received
    std::string method, path, authority;
    std::vector<std::pair<std::string, std::string>> fields;
    std::vector<Header> headers;  // views into `fields`, made once they are complete
    std::string body;
    std::optional<std::uint64_t> length;  // its content-length, if given
    bool ended = false;           // END_STREAM received
    bool streamed = false;        // the body goes to the handler as it arrives (incoming)
    std::shared_ptr<IncomingBody> incoming;
    std::uint64_t fed = 0, consumed = 0;  // bytes given to `incoming`, and told to nghttp2 as read
    std::uint64_t body_tick = 0;          // when the handler last asked for (or got) body bytes
    std::size_t bytes_in = 0;     // header fields (as decoded) and body
    int refuse = 0;               // a status to answer instead of dispatching (431, 413)
    bool dispatched = false;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::uint64_t opened_tick = 0;  // the request must be complete (or streaming) header_timeout after
    ExchangeDriver x;
    // the answer as sent
    bool answered = false;
    bool reset_when_sent = false;  // answered before the request's end: RST_STREAM(NO_ERROR) after
    std::string data;              // the body, or the current chunk of a stream
    std::size_t sent = 0;          // of `data`
    std::unique_ptr<BodySource> source;
    std::function<void()> ready;   // how the source wakes the stream
    bool source_ended = false;
    bool deferred = false;         // nghttp2 waits for the source's ready()
    std::vector<AnswerRecord> records;
};

template <class Stream>
class Http2Session final : public Connection, public std::enable_shared_from_this<Http2Session<Stream>> {
    using std::enable_shared_from_this<Http2Session<Stream>>::shared_from_this;

public:
    Http2Session(Worker& worker, Stream stream, Peer peer)
        : worker_(worker), stream_(std::move(stream)), peer_(std::move(peer)) {
        worker_.link(this);
    }
    ~Http2Session() override {
        for (auto& [id, s] : streams_) report_written(s->records, s->records.size(), worker_.index(), events_);
        worker_.unlink(this);
    }

    void start(std::string received) {
        if (!open_session()) {
            close();
            return;
        }
        if (!received.empty() && !feed(reinterpret_cast<const std::uint8_t*>(received.data()), received.size())) return;
        touch();
        read();
        if (worker_.stopping()) on_stop();  // taken over during a graceful stop: GOAWAY at once
        flush();
    }

    // --- the worker (Connection) ---

    void on_tick(std::uint64_t tick) override {
        if (closed_) return;
        if (write_pending_ && tick >= write_deadline_) {
            close();  // a client that does not read
            return;
        }
        if (streams_.empty() && tick >= idle_deadline_) go_away(NGHTTP2_NO_ERROR);  // idle
        // Answers that cannot go out because the client keeps its flow-control window shut (a
        // zero-window stall) hold their streams forever: after write_timeout without DATA sent,
        // the connection ends.
        const auto limit = static_cast<std::uint64_t>(worker_.options().write_timeout.count());
        if (tick >= data_tick_ + limit && data_blocked()) go_away(NGHTTP2_NO_ERROR);
        // A handler waiting for a body that stopped arriving hears 408; a request that is not
        // complete header_timeout after it opened is answered 408 (and its stream reset).
        const auto body_limit = static_cast<std::uint64_t>(worker_.options().body_timeout.count());
        const auto request_limit = static_cast<std::uint64_t>(worker_.options().header_timeout.count());
        std::vector<std::int32_t> late;
        for (auto& [id, s] : streams_) {
            if (s->incoming && s->incoming->awaited() && tick >= s->body_tick + body_limit)
                s->incoming->fail(408, "the request body stopped arriving");
            if (!s->dispatched && tick > s->opened_tick + request_limit) late.push_back(id);
        }
        for (const std::int32_t id : late) {
            if (H2Stream* s = find(id)) {
                s->refuse = 408;
                run(*s);
            }
        }
        if (!late.empty()) flush();
    }
    void on_stop() override {
        if (closed_ || stopping_) return;
        stopping_ = true;
        // GOAWAY now says which streams will be served; open ones finish, then the connection closes.
        nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_.get()),
                              NGHTTP2_NO_ERROR, nullptr, 0);
        flush();
    }
    void force_close() override { close(); }
    void on_watch_due() override {}

private:
    struct SessionDeleter {
        void operator()(nghttp2_session* s) const noexcept { nghttp2_session_del(s); }
    };

    static Http2Session& self_of(void* user) { return *static_cast<Http2Session*>(user); }

    bool open_session() {
        nghttp2_session_callbacks* cb = nullptr;
        if (nghttp2_session_callbacks_new(&cb) != 0) return false;
        nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &Http2Session::on_begin_headers);
        nghttp2_session_callbacks_set_on_header_callback(cb, &Http2Session::on_header);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &Http2Session::on_frame_recv);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &Http2Session::on_data_chunk);
        nghttp2_session_callbacks_set_on_frame_send_callback(cb, &Http2Session::on_frame_send);
        nghttp2_session_callbacks_set_on_stream_close_callback(cb, &Http2Session::on_stream_close);
        nghttp2_option* opt = nullptr;
        if (nghttp2_option_new(&opt) != 0) {
            nghttp2_session_callbacks_del(cb);
            return false;
        }
        // CVE-2023-44487 (rapid reset): at most a burst of 1000 resets, then 33 a second.
        nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
        // CVE-2024-28182: a header block in at most 8 CONTINUATION frames.
        nghttp2_option_set_max_continuations(opt, 8);
        // PING and SETTINGS floods: acknowledgements a client does not read are bounded.
        nghttp2_option_set_max_outbound_ack(opt, 1000);
        nghttp2_option_set_max_settings(opt, 32);
        // Window updates are ours: a body the handler takes as it arrives opens its window only as
        // fast as the handler reads (every other DATA is consumed as it is received).
        nghttp2_option_set_no_auto_window_update(opt, 1);
        nghttp2_session* raw = nullptr;
        const int rv = nghttp2_session_server_new2(&raw, cb, this, opt);
        nghttp2_option_del(opt);
        nghttp2_session_callbacks_del(cb);
        if (rv != 0) return false;
        session_.reset(raw);
        const Http2Settings& h = worker_.options().http2;
        const nghttp2_settings_entry settings[] = {
            {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, h.max_concurrent_streams},
            {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, h.initial_window_size},
            {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, h.max_frame_size},
            {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
            {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(worker_.options().max_header_bytes)},
        };
        if (nghttp2_submit_settings(raw, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0) return false;
        // The connection's own window as large as a stream's (its default is 64 KiB).
        const std::int32_t window = static_cast<std::int32_t>(std::min<std::uint32_t>(h.initial_window_size, 0x7fffffff));
        if (window > 65535) nghttp2_session_set_local_window_size(raw, NGHTTP2_FLAG_NONE, 0, window);
        return true;
    }

    // --- nghttp2's callbacks (during feed() and flush()) ---

    static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
        if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
        Http2Session& self = self_of(user);
        auto s = std::make_unique<H2Stream>(self.worker_.io(), frame->hd.stream_id);
        s->opened_tick = self.worker_.tick();
        self.streams_.emplace(frame->hd.stream_id, std::move(s));
        return 0;
    }

    static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t name_len,
                         const std::uint8_t* value, std::size_t value_len, std::uint8_t, void* user) {
        Http2Session& self = self_of(user);
        H2Stream* s = self.find(frame->hd.stream_id);
        if (!s || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;  // trailers are not kept
        s->bytes_in += name_len + value_len + 32;  // RFC 9113's accounting of a header list
        if (s->bytes_in > self.worker_.options().max_header_bytes) {
            s->refuse = 431;  // the rest of the block is decoded (HPACK's state) but not kept
            return 0;
        }
        if (s->refuse) return 0;
        const std::string_view n(reinterpret_cast<const char*>(name), name_len);
        const std::string_view v(reinterpret_cast<const char*>(value), value_len);
        if (n == ":method") s->method = v;
        else if (n == ":path") s->path = v;
        else if (n == ":authority") s->authority = v;
        else if (!n.empty() && n.front() != ':') {
            if (n == "content-length") {  // nghttp2 checked it is a number matching the DATA sent
                std::uint64_t number = 0;
                for (const char c : v) number = number * 10 + static_cast<std::uint64_t>(c - '0');
                s->length = number;
            }
            s->fields.emplace_back(n, v);
        }
        return 0;
    }

    static int on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                             std::size_t len, void* user) {
        Http2Session& self = self_of(user);
        H2Stream* s = self.find(id);
        const auto& o = self.worker_.options();
        if (!s || !s->incoming) nghttp2_session_consume(session, id, len);  // kept whole (or dropped): read at once
        if (!s) return 0;
        s->bytes_in += len;
        if (s->incoming) {
            if (!s->incoming->open()) {
                nghttp2_session_consume(session, id, len);  // failed or answered: dropped
                return 0;
            }
            if (s->fed + len > o.max_body_bytes) {
                s->incoming->fail(413, "the request body is larger than the server accepts");
                nghttp2_session_consume(session, id, len);
                return 0;
            }
            std::string bytes(reinterpret_cast<const char*>(data), len);
            s->fed += len;
            s->body_tick = self.worker_.tick();
            s->incoming->feed(bytes);
            return 0;
        }
        if (s->answered) return 0;  // answered early (413): the rest is dropped
        if (s->body.size() + len > o.max_body_bytes) {
            s->refuse = 413;
            s->reset_when_sent = true;
            self.ready_.push_back(id);  // answered at once, not after a body nobody keeps
            return 0;
        }
        s->body.append(reinterpret_cast<const char*>(data), len);
        self.buffered_ += len;
        if (!s->dispatched && !s->streamed && (s->body.size() > o.body_buffer_bytes || self.buffered_ > kMaxBufferedBodies)) {
            s->streamed = true;  // larger than what is kept whole: the handler takes it as it arrives
            self.ready_.push_back(id);
        }
        return 0;
    }

    static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
        Http2Session& self = self_of(user);
        const bool ends = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
        H2Stream* s = self.find(frame->hd.stream_id);
        if (!s) return 0;
        if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) && ends) {
            s->ended = true;
            if (s->incoming) s->incoming->finish();
            else if (!s->dispatched) self.ready_.push_back(s->id);
        } else if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
            if (s->refuse == 431) {
                self.ready_.push_back(s->id);
            } else if (s->length && *s->length > self.worker_.options().body_buffer_bytes) {
                s->streamed = true;  // announced larger than what is kept whole: dispatched now
                self.ready_.push_back(s->id);
            }
        }
        return 0;
    }

    static int on_frame_send(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
        Http2Session& self = self_of(user);
        if (frame->hd.type == NGHTTP2_DATA) self.data_tick_ = self.worker_.tick();
        H2Stream* s = self.find(frame->hd.stream_id);
        if (!s) return 0;
        if (!s->records.empty()) s->records.front().completion.bytes_out += frame->hd.length + 9;
        if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) && s->reset_when_sent)
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);  // stop its upload
        return 0;
    }

    static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t, void* user) {
        Http2Session& self = self_of(user);
        const auto it = self.streams_.find(id);
        if (it == self.streams_.end()) return 0;
        H2Stream& s = *it->second;
        if (s.incoming) s.incoming->fail(499, "the client reset the stream before sending the whole body");
        s.x.abandon();  // a reset stream's pending handler is cancelled
        report_written(s.records, s.records.size(), self.worker_.index(), self.events_);
        if (s.source) self.sources_.push_back(std::move(s.source));  // destroyed after nghttp2's call (it may wake us)
        self.buffered_ -= std::min(self.buffered_, s.body.size());
        self.streams_.erase(it);
        return 0;
    }

    static ssize_t read_data(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length, std::uint32_t* flags,
                             nghttp2_data_source* source, void*) {
        auto& s = *static_cast<H2Stream*>(source->ptr);
        while (s.source && s.sent == s.data.size() && !s.source_ended) {
            s.data.clear();
            s.sent = 0;
            BodySource::Pull pulled;
            try {
                pulled = s.source->pull(s.data, s.ready);
            } catch (const std::exception&) {
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // the stream is reset: an incomplete body
            }
            if (pulled == BodySource::Pull::Later) {
                s.deferred = true;
                return NGHTTP2_ERR_DEFERRED;
            }
            if (pulled == BodySource::Pull::End) s.source_ended = true;
        }
        const std::size_t n = std::min(length, s.data.size() - s.sent);
        std::memcpy(buf, s.data.data() + s.sent, n);
        s.sent += n;
        if (s.sent == s.data.size() && (!s.source || s.source_ended)) *flags |= NGHTTP2_DATA_FLAG_EOF;
        return static_cast<ssize_t>(n);
    }

    // Some answer has DATA to send that does not go out (not a source waiting for the app).
    bool data_blocked() const {
        for (const auto& [id, s] : streams_)
            if (s->answered && !s->deferred && (s->sent < s->data.size() || (s->source && !s->source_ended))) return true;
        return false;
    }

    // --- requests ---

    H2Stream* find(std::int32_t id) {
        const auto it = streams_.find(id);
        return it == streams_.end() ? nullptr : it->second.get();
    }

    // Runs the streams whose requests are complete (collected while nghttp2 parsed).
    void run_ready() {
        auto ready = std::move(ready_);
        ready_.clear();
        for (const std::int32_t id : ready)
            if (H2Stream* s = find(id); s && !s->dispatched) run(*s);
    }

    void run(H2Stream& s) {
        s.dispatched = true;
        if (s.refuse) {
            Response& res = s.x.res();
            res.clear();
            make_error(res, s.refuse, s.refuse == 431   ? "the request's header fields are too large"
                                      : s.refuse == 408 ? "the request did not arrive in time"
                                                        : "the request body is larger than the server accepts");
            if (!s.ended) s.reset_when_sent = true;  // the rest of the request is not wanted
            submit(s, nullptr);
            return;
        }
        // HTTP/1.1's view of the request (RFC 9113 8.3.1): :authority is the Host, and the cookie
        // fields an HTTP/2 client may split are one field again.
        bool has_host = false;
        std::string cookies;
        std::vector<std::pair<std::string, std::string>> kept;
        kept.reserve(s.fields.size() + 1);
        for (auto& f : s.fields) {
            if (f.first == "cookie") {
                if (!cookies.empty()) cookies += "; ";
                cookies += f.second;
                continue;
            }
            if (f.first == "host") has_host = true;
            kept.push_back(std::move(f));
        }
        if (!has_host && !s.authority.empty()) kept.emplace_back("host", s.authority);
        if (!cookies.empty()) kept.emplace_back("cookie", std::move(cookies));
        s.fields = std::move(kept);
        s.headers.clear();
        for (const auto& [n, v] : s.fields) s.headers.push_back({n, v});

        Request& req = s.x.req();
        req.reset();
        req.method = s.method;
        req.target = s.path;
        req.headers = s.headers.data();
        req.header_count = s.headers.size();
        if (s.streamed) {
            s.incoming = std::make_shared<IncomingBody>(s.length, kBodyWindow, body_wanted(s.id));
            s.fed = s.consumed = s.body.size();  // what arrived before was read (consumed) already
            buffered_ -= std::min(buffered_, s.body.size());
            s.body_tick = worker_.tick();
            s.incoming->feed(s.body);
            if (s.ended) s.incoming->finish();
            req.body_stream = s.incoming;
        } else {
            req.body = s.body;
        }
        req.client_ip = peer_.ip;
        req.client_port = peer_.port;
        req.tls = peer_.tls.get();
        req.version = 20;
        if (telemetry_) req.trace = telemetry_->capturing() ? TraceLevel::Records : TraceLevel::Counts;
        const auto& table = worker_.route_table();
        if (!s.x.run(*table, s.started, worker_.index(), telemetry_ != nullptr)) {
            wait(s, table);
            return;
        }
        submit(s, &table);
    }

    void wait(H2Stream& s, std::shared_ptr<const RouteTable> table) {
        s.x.wait(std::move(table), [self = shared_from_this(), id = s.id] {
            auto& io = self->worker_.io();
            asio::post(io, [self, id] { self->resume(id); });
        });
    }

    void resume(std::int32_t id) {
        H2Stream* s = closed_ ? nullptr : find(id);
        if (!s || !s->x.waiting()) return;  // reset meanwhile: abandoned already
        std::shared_ptr<const RouteTable> table;
        if (!s->x.resume(table)) {
            wait(*s, std::move(table));
            return;
        }
        submit(*s, &table);
        flush();
    }

    // The answer in the stream's driver goes out: HEADERS, then DATA as nghttp2 asks for it.
    void submit(H2Stream& s, const std::shared_ptr<const RouteTable>* table) {
        Response& res = s.x.res();
        worker_.count_answer();
        s.answered = true;
        data_tick_ = worker_.tick();  // the stall clock starts with the answer
        if (s.incoming && !s.incoming->complete()) {
            // Answered before the body's end: the handler will not read it, nor will we.
            s.incoming->fail(500, "the response was sent before the request body was read");
            s.reset_when_sent = true;
        }
        if (res.websocket) {  // an upgrade needs HTTP/1.1 (RFC 8441's extended CONNECT is not here)
            res.clear();
            make_error(res, 505, "WebSocket needs HTTP/1.1 on this server");
        }
        const bool forbidden = status_forbids_body(res.status);  // no body fields either
        const bool no_body = s.x.head_only() || forbidden;     // HEAD: the fields, no DATA
        std::vector<std::string> text;  // the values nva points at
        text.reserve(4 + res.headers.size() * 2);
        text.push_back(std::to_string(res.status));
        std::vector<nghttp2_nv> nva;
        const auto add = [&nva](std::string_view n, std::string_view v) {
            nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
                           reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                           NGHTTP2_NV_FLAG_NONE});
        };
        add(":status", text.back());
        add("server", "cello");
        add("date", worker_.date());
        if (!res.content_type.empty() && !forbidden) add("content-type", res.content_type);
        std::int64_t length = -1;
        if (res.stream) length = res.stream_length;
        else length = static_cast<std::int64_t>(res.body.size());
        if (length >= 0 && !forbidden) {
            text.push_back(std::to_string(length));
            add("content-length", text.back());
        }
        for (const auto& [n, v] : res.headers) {
            if (connection_specific(n)) continue;
            text.push_back(lowercase(n));
            add(text.back(), v);
        }
        if (table)
            record_answer(s.records, s.x, *table, s.started, s.bytes_in, 0, worker_.options().telemetry);
        if (!no_body) {
            if (res.stream) {
                s.source = std::move(res.stream);
                s.ready = stream_ready(s.id);  // made once, not per pull
            }
            else s.data = std::move(res.body);
        }
        nghttp2_data_provider body{};
        body.source.ptr = &s;
        body.read_callback = &Http2Session::read_data;
        const bool has_body = !no_body && (s.source || !s.data.empty());
        if (nghttp2_submit_response(session_.get(), s.id, nva.data(), nva.size(), has_body ? &body : nullptr) != 0)
            nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, s.id, NGHTTP2_INTERNAL_ERROR);
    }

    // A callback other threads (or later turns) may call: `step` runs on this thread with the
    // stream, if the session and the stream still live.
    template <class Step>
    std::function<void()> for_stream(std::int32_t id, Step step) {
        return [weak = this->weak_from_this(), id, step] {
            auto self = weak.lock();
            if (!self) return;
            auto& io = self->worker_.io();
            asio::post(io, [self, id, step] {
                if (H2Stream* s = self->closed_ ? nullptr : self->find(id)) step(*self, *s);
            });
        };
    }

    // The handler took body bytes or waits for them: the stream's window opens by what it took.
    std::function<void()> body_wanted(std::int32_t id) {
        return for_stream(id, [](Http2Session& self, H2Stream& s) {
            if (!s.incoming) return;
            s.body_tick = self.worker_.tick();
            const std::size_t waiting = s.incoming->open() ? kBodyWindow - s.incoming->room() : 0;
            const std::uint64_t taken = s.fed - std::min<std::uint64_t>(s.fed, waiting);
            if (taken > s.consumed) {
                nghttp2_session_consume(self.session_.get(), s.id, static_cast<std::size_t>(taken - s.consumed));
                s.consumed = taken;
                self.flush();
            }
        });
    }

    // A streamed body's source has more: nghttp2 asks it again.
    std::function<void()> stream_ready(std::int32_t id) {
        return for_stream(id, [](Http2Session& self, H2Stream& s) {
            if (!s.deferred) return;
            s.deferred = false;
            nghttp2_session_resume_data(self.session_.get(), s.id);
            self.flush();
        });
    }

    // --- input and output ---

    // Gives nghttp2 what was read; false when the connection ends (a protocol error, a flood).
    bool feed(const std::uint8_t* data, std::size_t n) {
        const ssize_t used = nghttp2_session_mem_recv(session_.get(), data, n);
        if (used == NGHTTP2_ERR_FLOODED) {
            close();  // a client that does not read what it asks for (PING/SETTINGS floods): no goodbye
            return false;
        }
        if (used < 0) {
            // A protocol error, or too many CONTINUATION frames: GOAWAY goes out, then the end.
            nghttp2_session_terminate_session(session_.get(), used == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS
                                                                  ? NGHTTP2_ENHANCE_YOUR_CALM
                                                                  : NGHTTP2_PROTOCOL_ERROR);
            ending_ = true;
            flush();
            return false;
        }
        run_ready();
        return true;
    }

    void read() {
        if (closed_ || ending_) return;
        auto done = [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); };
        stream_.async_read_some(asio::buffer(rbuf_), std::move(done));
    }

    void on_read(error_code ec, std::size_t n) {
        if (closed_) return;
        if (ec) {
            close();  // the client left (or reset): open streams are abandoned
            return;
        }
        touch();
        if (!feed(reinterpret_cast<const std::uint8_t*>(rbuf_.data()), n)) return;
        flush();
        read();
    }

    void flush() {
        if (write_pending_ || closed_) return;
        out_.clear();
        while (out_.size() < kWriteBatch) {
            const std::uint8_t* data = nullptr;
            const ssize_t n = nghttp2_session_mem_send(session_.get(), &data);
            if (n < 0) {
                close();
                return;
            }
            if (n == 0) break;
            out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
        }
        sources_.clear();  // closed streams' sources: nghttp2 is done with them
        if (out_.empty()) {
            const bool done = ending_ || (stopping_ && streams_.empty()) ||
                              (!nghttp2_session_want_read(session_.get()) && !nghttp2_session_want_write(session_.get()));
            if (done) close(/*linger=*/true);
            return;
        }
        write_pending_ = true;
        write_deadline_ = worker_.tick() + static_cast<std::uint64_t>(worker_.options().write_timeout.count()) + 1;
        asio::async_write(stream_, asio::buffer(out_), [self = shared_from_this()](error_code ec, std::size_t) {
            self->write_pending_ = false;
            if (self->closed_) return;
            if (ec) {
                self->close();
                return;
            }
            self->touch();
            self->flush();
        });
    }

    void go_away(std::uint32_t code) {
        nghttp2_session_terminate_session(session_.get(), code);
        ending_ = true;
        flush();
    }

    // Activity: the idle deadline moves (keep-alive timeout with no stream open).
    void touch() {
        idle_deadline_ = worker_.tick() + static_cast<std::uint64_t>(worker_.options().keepalive_timeout.count()) + 1;
    }

    // `linger`: our last frames (GOAWAY, the last answers) are out and the client may still be
    // sending (WINDOW_UPDATEs, frames after an error): what arrives is read and dropped for a
    // while, as HTTP/1.1 does, so that a reset does not destroy what we wrote before the client
    // read it.
    void close(bool linger = false) {
        if (closed_) return;
        closed_ = true;
        for (auto& [id, s] : streams_) {
            if (s->incoming) s->incoming->fail(499, "the client closed the connection before sending the whole body");
            s->x.abandon();
        }
        error_code ec;
        auto& tcp = boost::beast::get_lowest_layer(stream_);
        if (linger && !write_pending_) {
            tcp.cancel(ec);  // the outstanding read returns and releases the session
            close_lingering(std::move(tcp));
            return;
        }
        tcp.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        tcp.close(ec);  // the outstanding read and write return and release the session
    }

    Worker& worker_;
    Stream stream_;
    Peer peer_;
    std::unique_ptr<nghttp2_session, SessionDeleter> session_;
    std::unordered_map<std::int32_t, std::unique_ptr<H2Stream>> streams_;
    std::vector<std::int32_t> ready_;  // streams whose request completed during a feed()
    std::size_t buffered_ = 0;         // bytes of request bodies kept whole (kMaxBufferedBodies)
    std::vector<std::unique_ptr<BodySource>> sources_;
    std::array<char, kReadChunk> rbuf_;
    std::string out_;
    bool write_pending_ = false;
    bool closed_ = false;
    bool ending_ = false;    // GOAWAY sent for an error: closed once it is out
    bool stopping_ = false;  // graceful: closed once the open streams are done
    std::uint64_t idle_deadline_ = kNoDeadline;
    std::uint64_t write_deadline_ = kNoDeadline;
    std::uint64_t data_tick_ = 0;  // when DATA was last sent (or an answer made)
    Telemetry* const telemetry_ = worker_.options().telemetry.get();
    EventRing* const events_ = telemetry_ ? &telemetry_->ring(worker_.index()) : nullptr;
};

}  // namespace

int starts_http2(std::string_view received) noexcept {
    const std::size_t n = std::min(received.size(), kPreface.size());
    if (received.substr(0, n) != kPreface.substr(0, n)) return 0;
    return n == kPreface.size() ? 1 : -1;
}

void start_http2(Worker& worker, asio::ip::tcp::socket socket, std::string received, Peer peer) {
    std::make_shared<Http2Session<asio::ip::tcp::socket>>(worker, std::move(socket), std::move(peer))->start(std::move(received));
}

#if CELLO_TLS
namespace {
// A TLS stream that keeps its OpenSSL context alive as long as it lives.
struct OwnedTlsStream : TlsStream {
    OwnedTlsStream(TlsStream s, std::shared_ptr<asio::ssl::context> c) : TlsStream(std::move(s)), context(std::move(c)) {}
    std::shared_ptr<asio::ssl::context> context;
};
}  // namespace

void start_http2(Worker& worker, TlsStream stream, std::shared_ptr<asio::ssl::context> context, Peer peer) {
    std::make_shared<Http2Session<OwnedTlsStream>>(worker, OwnedTlsStream(std::move(stream), std::move(context)), std::move(peer))
        ->start({});
}
#endif

}  // namespace cello::engine::net
