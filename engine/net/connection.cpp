// The HTTP/1.1 connection: requests read, parsed, answered in order and written, full duplex.
//
// Two sides run at once. The input side keeps a read outstanding and parses what arrives into a
// bounded queue of requests (pipelining); the answer side takes the oldest request of that queue
// through its phases below. Answers go into an output buffer that one write at a time sends, so
// reading, parsing, answering and writing overlap. Every transition happens in advance(), which
// runs after each event (bytes read, bytes written, an answer resumed, a stream's source ready).
//
//   answer side (phase_)
//
//        ┌───────────────── answered (more may be queued) ─────────────────┐
//        v                                                                  │
//     Waiting ── the oldest request is complete ──> dispatch ──┬─ answer ───┘
//        │   (keep-alive timeout while nothing is queued,      ├─ handler pending ─> Suspended
//        │    header timeout while a request is partial)       │        └─ resumed ─> dispatch goes on
//        │                                                     ├─ streamed body ──> Streaming
//        │                                                     │        └─ source ended ─> Waiting
//        │                                                     ├─ WebSocket ──────> Upgrading
//        │                                                     │        └─ output written ─> the socket
//        │                                                     │           goes to a WebSocket session
//        │                                                     └─ last answer ────> Closing
//        └── a malformed request reaches the front, the input ended, a request timed out ──> Closing
//     Closing ── output written ──> closed
//     any phase ── the client left (end of input while an answer is pending), an I/O error, the
//                  write timeout, the drain's deadline ──> closed (a pending handler is cancelled)
//
//   A request whose body is larger than body_buffer_bytes is "complete" (dispatched) once its
//   header is: its body then goes to the handler through an IncomingBody as it is read (the input
//   side reads for it while it has room: back-pressure), and an answer made before the body's end
//   is the last (Closing, then a lingering close, so that the answer is not lost to a reset).
//
//   input side: reading while there is room (at most kMaxQueued requests, kReadAheadBytes of them
//   behind the one being answered, and no more requests accepted after one with Connection: close
//   or a malformed one); paused beyond that (back-pressure: TCP's window fills); ended at the end
//   of input or an error. The end of input while an answer is pending means the client left: the
//   handler is cancelled at once. Not reading when a read would only find nothing: in the turn
//   that wrote an answer (the next turn starts the read), and beside a pending handler for its
//   first 100 ms (Worker::watch_suspended; most awaits are over sooner).
//
// Ownership: only pending operations hold the connection (the read, the write, the notify of a
// pending handler, a stream's ready callback, a large body's wake-up); close() cancels them, so it
// goes once they return.
// What the inspector hears is made in engine/telemetry/exchange_report.
#include "engine/net/connection.hpp"

#include "engine/dispatch.hpp"
#include "engine/pending_response.hpp"
#include "engine/net/exchange_driver.hpp"
#if CELLO_HTTP2
#include "engine/net/http2_session.hpp"
#endif
#include "engine/net/incoming_body.hpp"
#include "engine/net/lingering_close.hpp"
#include "engine/net/request_reader.hpp"
#include "engine/net/websocket_session.hpp"
#include "engine/net/worker.hpp"
#include "engine/response_writer.hpp"
#include "engine/status.hpp"
#include "engine/telemetry/exchange_report.hpp"
#include "engine/tls/tls_info.hpp"
#if CELLO_TLS
#include "engine/tls/tls_context.hpp"
#include "engine/tls/tls_stream.hpp"
#endif

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <optional>
#include <vector>

namespace cello::engine::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
// Requests queued (the one being answered included), and the bytes of those behind it, before
// reading pauses.
constexpr std::size_t kMaxQueued = 16;
constexpr std::size_t kReadAheadBytes = 256 * 1024;
// Bytes of a body handed to the handler in pieces that wait for it to take them before reading
// pauses.
constexpr std::size_t kBodyWindow = 256 * 1024;
constexpr std::size_t kBodyReadChunk = 128 * 1024;  // a read's size for such a body
// Answers queued behind the write in flight before answering pauses.
constexpr std::size_t kWriteAheadBytes = 256 * 1024;
// Sweep ticks (seconds) an idle connection gets to send one last request after a graceful stop.
constexpr std::uint64_t kStopGraceTicks = 2;
constexpr std::uint64_t kNoDeadline = std::numeric_limits<std::uint64_t>::max();

class HttpConnection final : public Connection, public std::enable_shared_from_this<HttpConnection> {
public:
    HttpConnection(Worker& worker, asio::ip::tcp::socket socket) : worker_(worker), socket_(std::move(socket)) {
        worker_.link(this);
        error_code ec;
        socket_.set_option(asio::ip::tcp::no_delay(true), ec);
        socket_.non_blocking(true, ec);  // write() tries the socket directly first
        const auto peer = socket_.remote_endpoint(ec);
        if (!ec) {
            client_ip_ = peer.address().to_string();
            client_port_ = peer.port();
        }
#if CELLO_TLS
        if (const auto& tls = worker_.options().tls) {
            // The socket goes into the TLS stream; every read and write goes through it.
            ssl_context_ = tls->current();
            tls_.emplace(std::move(socket_), *ssl_context_);
        }
#endif
        sniffing_ = CELLO_HTTP2 && worker_.options().http2.enabled && !encrypted();
    }
    ~HttpConnection() override { worker_.unlink(this); }

    void start() {
#if CELLO_TLS
        if (tls_) {
            handshake();
            return;
        }
#endif
        advance();
    }

    void on_tick(std::uint64_t tick) override {
        if (tls_closing_ && tick >= deadline_) {
            force_close();
            return;
        }
        if (closed_ || tick < deadline_) return;
        if (handshaking_) {
            close();  // the TLS handshake did not finish within the header timeout
            return;
        }
        if (write_pending_ && tick >= write_deadline_) {
            close();  // a client that does not read its answers
            return;
        }
        if (phase_ == Phase::Suspended && body_awaited()) {
            // The handler waits for a body that stopped arriving: it hears 408 (and answers).
            Queued& q = front();
            q.state = Queued::Malformed;
            accepting_ = false;
            q.body->fail(408, "the request body stopped arriving");
            deadline_ = kNoDeadline;
            return;
        }
        if (phase_ == Phase::Waiting && count_ > 0 && front().state == Queued::Receiving && !write_pending_) {
            // The request did not arrive in time: 408, then close.
            accepting_ = false;
            respond_error(408, "timed out reading the request", front().reader.version());
            phase_ = Phase::Closing;
            advance();
            return;
        }
        close();  // idle past keep-alive, or a write that does not progress
    }

    void on_stop() override {
        if (phase_ != Phase::Waiting || count_ > 0 || write_pending_) return;  // finishes, then Connection: close
        // Idle (kept alive, or accepted just before the stop): closing now would reset a request
        // already on its way. It gets a moment to arrive and is answered with Connection: close,
        // which a client follows without an error; a connection that stays quiet is closed then.
        deadline_ = std::min(deadline_, worker_.tick() + kStopGraceTicks);
    }

    void force_close() override {
        if (tls_closing_) {
            error_code ec;
            tcp().close(ec);  // the client did not answer our close_notify in time
            return;
        }
        close();
    }

    // Suspended for a while: from now on the input side reads beside the pending handler.
    void on_watch_due() override {
        if (phase_ != Phase::Suspended || closed_ || suspended_long_) return;
        suspended_long_ = true;
        read();
    }

private:
    enum class Phase : std::uint8_t { Waiting, Suspended, Streaming, Upgrading, Closing };

    // A request in the queue: its own parser and storage, so that later ones can be parsed while
    // it is answered.
    struct Queued {
        enum State : std::uint8_t { Receiving, Complete, Malformed };
        RequestReader reader;
        std::chrono::steady_clock::time_point started{};  // its first byte
        std::uint64_t started_tick = 0;
        std::size_t bytes = 0;  // as received
        State state = Receiving;
        bool continue_sent = false;
        // Its body is larger than body_buffer_bytes: answered from its header on, the body handed
        // to the handler through `body` (set once it is dispatched) as it arrives.
        bool streams = false;
        std::shared_ptr<IncomingBody> body;
    };

    Queued& front() noexcept { return *queue_[head_]; }
    Queued& back() noexcept { return *queue_[(head_ + count_ - 1) % kMaxQueued]; }

    // --- the one place where the connection moves on ---

    void advance() {
        while (!closed_) {
            parse();
            if (answerable()) {
                answer_front();
                continue;
            }
            if (phase_ == Phase::Streaming && !stream_waiting_ && !write_pending_ && !resting_ && next_.empty()) {
                pump_stream();  // a chunk; or the end (then queued requests are answered); or a wait
                if (phase_ != Phase::Streaming) continue;
            }
            break;
        }
        if (closed_) return;
        tell_to_continue();
        if (phase_ == Phase::Waiting && !accepting_ && (count_ == 0 || front().state == Queued::Receiving)) {
            phase_ = Phase::Closing;  // no request will come (or complete) any more
        }
        write();
        if (phase_ == Phase::Upgrading && !write_pending_ && next_.empty()) {
            hand_over();
            return;
        }
        read();
        if (phase_ == Phase::Closing && !write_pending_ && next_.empty()) {
            close();
            return;
        }
        update_deadline();
    }

    bool answerable() noexcept {
        return phase_ == Phase::Waiting && count_ > 0 && (front().state != Queued::Receiving || front().streams) &&
               next_.size() < kWriteAheadBytes;
    }

    // The front request's body, handed to its pending handler, is still arriving.
    bool body_arriving() noexcept { return count_ > 0 && front().body && front().state == Queued::Receiving; }
    bool body_awaited() noexcept { return body_arriving() && front().body->awaited(); }

    // --- input ---

    bool may_read() noexcept {
        if (closed_ || read_pending_ || !input_open_ || in_.size() >= kReadAheadBytes) return false;
        if (body_arriving() && front().body->room() == 0) return false;  // the handler has not taken it yet
        return count_ < kMaxQueued && (count_ <= 1 || queued_bytes_ - front().bytes < kReadAheadBytes);
    }

    void read() {
        // A read started while the client waits for its answer would mostly find nothing (a
        // syscall, then an epoll round when the request does come). So: none in the turn that
        // wrote an answer (resting_: the next turn starts it), and none beside a pending handler
        // until it has lasted (on_watch_due). A write still waiting for a slow client has the
        // read beside it.
        if (resting_ || phase_ == Phase::Upgrading || (phase_ == Phase::Suspended && !suspended_long_ && !body_arriving()))
            return;
        if (may_read()) start_read();
    }

    void start_read() {
        read_pending_ = true;
        // A large body is read in large pieces (16 KiB per syscall, and a wake-up of the handler
        // per read, would halve the throughput).
        rdata_ = rbuf_.data();
        std::size_t size = rbuf_.size();
        if (body_arriving()) {
            if (!big_rbuf_) big_rbuf_ = std::make_unique_for_overwrite<char[]>(kBodyReadChunk);
            rdata_ = big_rbuf_.get();
            size = std::clamp(front().body->room(), kReadChunk, kBodyReadChunk);  // not far beyond the window
        }
        auto done = [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); };
#if CELLO_TLS
        if (tls_) {
            tls_->async_read_some(asio::buffer(rdata_, size), std::move(done));
            return;
        }
#endif
        socket_.async_read_some(asio::buffer(rdata_, size), std::move(done));
    }

    void on_read(const error_code& ec, std::size_t n) {
        read_pending_ = false;
        if (closed_) return;
        if (handover_waiting_) {
            hand_over();
            return;
        }
        if (sniffing_ && !ec && sniff(n)) return;
        if (ec) {
            input_open_ = false;
            accepting_ = false;
            // The client left: an answer still being made (or streamed) is not wanted any more. A
            // client that only half-closed after complete requests still gets their answers.
            if (ec != asio::error::eof || phase_ == Phase::Suspended || phase_ == Phase::Streaming) {
                close();
                return;
            }
            advance();
            return;
        }
        if (in_.size() == 0) {
            // Parsed where it was read; only what is left over is copied.
            const std::size_t used = parse_bytes(rdata_, n);
            if (used < n) {
                auto tail = in_.prepare(n - used);
                std::copy_n(rdata_ + used, n - used, static_cast<char*>(tail.data()));
                in_.commit(n - used);
            }
        } else {
            auto tail = in_.prepare(n);
            std::copy_n(rdata_, n, static_cast<char*>(tail.data()));
            in_.commit(n);
        }
        advance();
    }

#if CELLO_HTTP2
    // A cleartext connection's first bytes: HTTP/2's preface hands the connection to an HTTP/2
    // session (h2c with prior knowledge); anything else is HTTP/1.1. True when on_read is done.
    bool sniff(std::size_t n) {
        // Most connections decide on their first read, compared where it was read (no copy).
        if (!sniffed_.empty()) sniffed_.append(rdata_, n);
        const std::string_view seen = sniffed_.empty() ? std::string_view(rdata_, n) : std::string_view(sniffed_);
        const int verdict = starts_http2(seen);
        if (verdict == 0) {  // HTTP/1.1: what was read goes to the parser as usual
            sniffing_ = false;
            if (sniffed_.empty()) return false;  // parsed where it was read
            auto tail = in_.prepare(sniffed_.size());
            std::copy_n(sniffed_.data(), sniffed_.size(), static_cast<char*>(tail.data()));
            in_.commit(sniffed_.size());
            std::string().swap(sniffed_);
            advance();
            return true;
        }
        if (sniffed_.empty()) sniffed_.assign(rdata_, n);
        if (verdict < 0) {  // a prefix of the preface so far
            start_read();
            return true;
        }
        closed_ = true;
        start_http2(worker_, std::move(socket_), std::move(sniffed_), Peer{client_ip_, client_port_, nullptr});
        return true;
    }
#else
    bool sniff(std::size_t) { return false; }
#endif

    void parse() {
        if (in_.size() == 0) return;
        const auto buf = in_.data();
        in_.consume(parse_bytes(static_cast<char*>(buf.data()), buf.size()));
    }

    // Parses requests out of `data` into the queue while there is room; returns the bytes used.
    std::size_t parse_bytes(char* data, std::size_t size) {
        std::size_t total = 0;
        while (accepting_ && total < size) {
            if (count_ == 0 || back().state != Queued::Receiving) {
                if (count_ == kMaxQueued || (count_ > 0 && queued_bytes_ - front().bytes >= kReadAheadBytes)) break;
                begin_request();
            }
            Queued& q = back();
            if (q.streams && !q.body) break;  // more of its body once it is answered (and has room)
            std::size_t offer = size - total;
            if (q.body) {  // the handler takes this body: no more of it than it has room for
                offer = std::min(offer, q.body->room());
                if (offer == 0) break;
            }
            std::size_t used = 0;
            const auto state = q.reader.put(data + total, offer, used);
            total += used;
            q.bytes += used;
            queued_bytes_ += used;
            if (q.body && q.reader.body_size() > 0) {
                q.reader.take_body(body_bytes_);
                q.body->feed(body_bytes_);
                body_tick_ = worker_.tick();
            }
            if (state == RequestReader::State::Failed) {
                q.state = Queued::Malformed;
                accepting_ = false;  // the stream position is lost
                if (q.body) q.body->fail(q.reader.error_status(), std::string(q.reader.error_detail()));
                break;
            }
            if (state == RequestReader::State::NeedMore) {
                if (!q.streams && q.reader.header_done()) q.streams = large_body(q.reader);
                break;
            }
            q.state = Queued::Complete;
            if (q.body) q.body->finish();
            if (!q.reader.keep_alive()) accepting_ = false;  // its answer is the last
        }
        return total;
    }

    bool large_body(const RequestReader& r) const noexcept {
        const std::size_t most = worker_.options().body_buffer_bytes;
        const auto length = r.content_length();
        return length ? *length > most : r.body_size() > most;
    }

    // The oldest request may wait for a go-ahead before it sends its body: once it is the one
    // being answered (earlier answers are in the output, ahead of it), or for a body handed to the
    // handler, once the handler asks for it; a handler that answers without reading it spares
    // the client sending it.
    void tell_to_continue() {
        if (count_ == 0) return;
        Queued& q = front();
        if (q.state != Queued::Receiving || q.continue_sent || !q.reader.header_done() || !q.reader.expect_continue())
            return;
        if (q.body ? !q.body->asked() : (phase_ != Phase::Waiting || q.streams)) return;
        next_ += "HTTP/1.1 100 Continue\r\n\r\n";
        q.continue_sent = true;
    }

    void begin_request() {
        const std::size_t slot = (head_ + count_) % kMaxQueued;
        if (!queue_[slot]) queue_[slot] = std::make_unique<Queued>();
        Queued& q = *queue_[slot];
        ++count_;
        q.reader.start({worker_.options().max_header_bytes, worker_.options().max_body_bytes});
        q.started = std::chrono::steady_clock::now();
        q.started_tick = worker_.tick();
        q.bytes = 0;
        q.state = Queued::Receiving;
        q.continue_sent = false;
        q.streams = false;
        q.body.reset();
    }

    void pop_front() {
        Queued& q = front();
        queued_bytes_ -= q.bytes;
        q.reader.reset();
        head_ = (head_ + 1) % kMaxQueued;
        if (--count_ == 0) head_ = 0;  // without pipelining, one slot serves every request
    }

    // --- answers ---

    void answer_front() {
        Queued& q = front();
        if (q.state == Queued::Malformed) {
            linger_ = true;  // the client may still be sending (a body over the limit): keep the answer from a reset
            respond_error(q.reader.error_status(), q.reader.error_detail(), q.reader.version());
            pop_front();
            phase_ = Phase::Closing;
            return;
        }
        Request& req = x_.req();
        req.reset();
        req.method = q.reader.method();
        req.target = q.reader.target();
        req.headers = q.reader.headers();
        req.header_count = q.reader.header_count();
        if (q.state == Queued::Receiving) {  // a large body: the handler takes it as it arrives
            q.body = std::make_shared<IncomingBody>(q.reader.content_length(), kBodyWindow, body_wanted());
            q.reader.take_body(body_bytes_);
            q.body->feed(body_bytes_);
            body_tick_ = worker_.tick();
            req.body_stream = q.body;
        } else {
            req.body = q.reader.body();
        }
        req.client_ip = client_ip_;
        req.client_port = client_port_;
        req.tls = tls_info_.get();
        req.version = q.reader.version();
        if (telemetry_) req.trace = telemetry_->capturing() ? TraceLevel::Records : TraceLevel::Counts;

        const auto& table = worker_.route_table();
        if (!x_.run(*table, q.started, worker_.index(), telemetry_ != nullptr)) {
            suspend(table);
            return;
        }
        answered(table);
    }

    // The exchange waits (an async handler awaits, or a middleware waits for something): its answer
    // is posted to this thread when it is there. Once it has lasted (on_watch_due), the input side
    // reads beside it, so a client that leaves is noticed at once (and the work cancelled by
    // close()), and requests pipelined behind are parsed.
    void suspend(std::shared_ptr<const RouteTable> table) {
        phase_ = Phase::Suspended;
        suspended_long_ = false;
        worker_.watch_suspended();
        // The pending handler holds the connection (close() cancels it, which drops this).
        x_.wait(std::move(table), [self = shared_from_this()] {
            auto& io = self->worker_.io();
            asio::post(io, [self] { self->resume(); });
        });
    }

    // The suspended exchange's answer (or step) is there: posted by the thread that completed it.
    void resume() {
        if (!x_.waiting() || closed_) return;
        std::shared_ptr<const RouteTable> table;
        if (!x_.resume(table)) {  // suspended again (an async handler that awaits)
            suspend(std::move(table));
            return;
        }
        answered(table);
        advance();
    }

    // The front request's answer is in the driver: into the output, and the request leaves the queue.
    void answered(const std::shared_ptr<const RouteTable>& table) {
        Queued& q = front();
        worker_.count_answer();
        Request& req = x_.req();
        Response& res = x_.res();
        const bool head_only = x_.head_only();
        const unsigned version = q.reader.version();
        // The connection's last request once it has answered max_requests_per_connection.
        const std::size_t most = worker_.options().max_requests_per_connection;
        const bool last_allowed = most != 0 && ++answered_here_ >= most;
        // A body the handler did not read to its end is not read by the server either: this answer
        // is the last, and the connection closes lingering (see close()).
        const bool body_unread = q.body && q.state != Queued::Complete;
        if (q.body) {
            if (body_unread) q.body->fail(500, "the response was sent before the request body was read");
            q.body.reset();
            req.body_stream.reset();  // what was not taken goes now
        }
        if (body_unread) linger_ = true;
        const bool keep_alive = q.reader.keep_alive() && !worker_.stopping() && !last_allowed && !body_unread;
        bool last = !keep_alive;
        const std::size_t before = next_.size();
        const bool upgrade = res.websocket != nullptr;  // its 101 is Beast's, written by the session
        const bool streamed = res.stream && !head_only && !status_forbids_body(res.status);
        const bool sized = res.stream_length >= 0;
        // HTTP/1.0 has no chunked encoding: an unsized stream ends with the connection.
        if (streamed && !sized && version == 10) last = true;
        if (!upgrade) append_response(next_, res, {head_only, !last, version, worker_.date()});
        record_answer(pending_, x_, table, q.started, q.bytes, next_.size() - before, worker_.options().telemetry);
        if (upgrade) {
            // The socket goes to a WebSocket session once the answers before are out; the request
            // stays at the front until then (the session copies it).
            upgrade_ = std::move(res.websocket);
            upgrade_route_ = {x_.ex().route ? x_.ex().route->id : kUnmatchedRoute, table->generation()};
            accepting_ = false;
            phase_ = Phase::Upgrading;
            return;
        }
        pop_front();
        if (last) accepting_ = false;
        if (streamed) {
            stream_ = std::move(res.stream);
            chunked_ = !sized && version != 10;
            closing_after_stream_ = last;
            stream_ready_ = make_stream_ready();
            phase_ = Phase::Streaming;
            return;
        }
        phase_ = last ? Phase::Closing : Phase::Waiting;
    }

    // A protocol-level error: answer it and close, since the stream position is lost.
    void respond_error(int status, std::string_view detail, unsigned version) {
        Response& res = x_.res();
        res.clear();
        make_error(res, status, detail);
        append_response(next_, res, {false, false, version, worker_.date()});
    }

    // --- streamed bodies ---

    // Puts the stream's next chunk (or its end) into the output: one chunk per write, so a slow
    // client slows the source down.
    void pump_stream() {
        auto pulled = BodySource::Pull::Chunk;
        try {
            while (pulled == BodySource::Pull::Chunk && next_.empty()) {
                pulled = stream_->pull(chunk_, stream_ready_);
                if (pulled == BodySource::Pull::Chunk) {
                    const std::size_t before = next_.size();
                    if (chunked_) append_chunk(next_, chunk_);
                    else next_ += chunk_;
                    if (!pending_.empty()) pending_.back().completion.bytes_out += next_.size() - before;
                }
            }
        } catch (const std::exception&) {
            close();  // headers are out: the only honest signal left is an incomplete body
            return;
        }
        if (pulled == BodySource::Pull::Later && next_.empty()) {
            stream_waiting_ = true;  // until the source calls ready()
            return;
        }
        if (pulled == BodySource::Pull::End) {
            stream_.reset();
            stream_ready_ = nullptr;
            if (chunked_) {
                next_ += kLastChunk;
                if (!pending_.empty()) pending_.back().completion.bytes_out += kLastChunk.size();
            }
            if (next_.empty() && !write_pending_) complete_written(pending_.size());  // a sized stream's last write is out
            phase_ = closing_after_stream_ ? Phase::Closing : Phase::Waiting;
        }
    }

    // The source's way to wake the connection; it holds the connection while the stream lasts.
    std::function<void()> make_stream_ready() {
        return [self = shared_from_this()] {
            auto& io = self->worker_.io();
            asio::post(io, [self] { self->stream_ready(); });
        };
    }

    void stream_ready() {
        if (!stream_waiting_ || !stream_ || closed_) return;
        stream_waiting_ = false;
        advance();
    }

    // --- output ---

    void write() {
        if (write_pending_ || next_.empty()) return;
        written_answers_ = pending_.size();
        // Most output fits in the socket's buffer: written here (the socket is non-blocking), with
        // no asynchronous write to wait for. The connection goes on in the next turn of the loop
        // (resting_), so that other connections' work comes first and the client has had time
        // to send more.
        error_code ec;
        // (Over TLS the record layer writes: straight to the asynchronous write.)
        const std::size_t n = encrypted() ? 0 : socket_.write_some(asio::buffer(next_), ec);
        if (!ec && n == next_.size()) {
            next_.clear();
            wrote();
            if (!resting_) {
                resting_ = true;
                asio::post(worker_.io(), [self = shared_from_this()] {
                    self->resting_ = false;
                    if (!self->closed_) self->advance();
                });
            }
            return;
        }
        if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
            close();
            return;
        }
        // The rest once the client has read enough.
        out_.swap(next_);
        write_pending_ = true;
        write_deadline_ = worker_.tick() + static_cast<std::uint64_t>(worker_.options().write_timeout.count()) + 1;
        auto done = [self = shared_from_this()](const error_code& e, std::size_t) { self->on_write(e); };
#if CELLO_TLS
        if (tls_) {
            asio::async_write(*tls_, asio::buffer(out_), std::move(done));
            return;
        }
#endif
        asio::async_write(socket_, asio::buffer(out_) + n, std::move(done));
    }

    // The answers wholly written are out; a stream's answer completes with its last chunk.
    void wrote() {
        std::size_t done = written_answers_;
        if (stream_ && done == pending_.size() && done > 0) --done;
        complete_written(done);
    }

    void on_write(const error_code& ec) {
        write_pending_ = false;
        out_.clear();
        if (closed_) return;
        wrote();
        if (ec) {
            close();
            return;
        }
        advance();
    }

    // Reports the first `n` pending answers to the middleware (metrics) and the telemetry ring.
    void complete_written(std::size_t n) {
        n = std::min(n, pending_.size());
        if (n == 0) return;
        report_written(pending_, n, worker_.index(), events_);
        written_answers_ -= std::min(written_answers_, n);
    }

    // --- time ---

    void update_deadline() {
        const auto& o = worker_.options();
        if (write_pending_) {
            deadline_ = write_deadline_;
            if (phase_ == Phase::Suspended && body_awaited())  // whichever comes first
                deadline_ = std::min(deadline_, body_tick_ + static_cast<std::uint64_t>(o.body_timeout.count()) + 1);
            idle_ = false;
        } else if (phase_ == Phase::Waiting && count_ == 0) {
            if (!idle_) {  // idle from now: the keep-alive timeout starts
                idle_ = true;
                deadline_ = worker_.tick() + static_cast<std::uint64_t>(o.keepalive_timeout.count()) + 1;
                if (worker_.stopping()) on_stop();
            }
        } else if (phase_ == Phase::Waiting) {  // a request partly received: it has the header timeout
            idle_ = false;
            deadline_ = front().started_tick + static_cast<std::uint64_t>(o.header_timeout.count()) + 1;
        } else if (phase_ == Phase::Suspended && body_awaited()) {  // a handler waits for its body
            idle_ = false;
            deadline_ = body_tick_ + static_cast<std::uint64_t>(o.body_timeout.count()) + 1;
        } else {  // an answer being made, or a stream waiting for its source: their own limits
            idle_ = false;
            deadline_ = kNoDeadline;
        }
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        // A handler still reading the body hears why there is no more (before it is cancelled: a
        // sync handler in a thread is woken by this, not by the cancel).
        if (body_arriving()) front().body->fail(499, "the client closed the connection before sending the whole body");
        x_.abandon();  // a pending handler: the client is gone, its task is cancelled
        stream_.reset();  // stops a generator (or cancels an async one) whose client went away
        stream_ready_ = nullptr;
        stream_waiting_ = false;
        complete_written(pending_.size());
        error_code ec;
        if (linger_ && input_open_ && !write_pending_) {
            // The client may still be sending the body nobody read: its data is read and dropped
            // for a while, so that our last answer is not lost to a reset.
            tcp().cancel(ec);  // the outstanding read returns and releases the connection
            close_lingering(std::move(tcp()));
            return;
        }
#if CELLO_TLS
        if (tls_ && !handshaking_ && input_open_ && !write_pending_) {
            close_tls();
            return;
        }
#endif
        tcp().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        tcp().close(ec);  // the outstanding read and write return, and release the connection
    }

    // The upgrade's answers before it are out: the socket (and the request) go to a WebSocket
    // session, and this connection ends without closing it.
    void hand_over() {
        error_code ec;
        tcp().cancel(ec);  // the outstanding read returns (a client sends frames only after the 101)
        if (encrypted() && read_pending_) {
            // A TLS stream must not move with an operation outstanding (it would carry the read's
            // "in progress" mark along): the hand-over waits for the cancelled read's return.
            handover_waiting_ = true;
            return;
        }
        closed_ = true;
        complete_written(pending_.size());
#if CELLO_TLS
        if (tls_) {
            start_websocket(worker_, std::move(*tls_), x_.req(), upgrade_route_, std::move(upgrade_));
            return;
        }
#endif
        start_websocket(worker_, std::move(socket_), x_.req(), upgrade_route_, std::move(upgrade_));
    }

    // What a body's reader calls when it has taken bytes or waits for them: the connection reads
    // on (or tells the client to go on), in a turn of its own (take() runs inside the handler).
    std::function<void()> body_wanted() {
        return [weak = weak_from_this()] {
            auto self = weak.lock();
            if (!self || self->body_posted_ || self->closed_) return;
            self->body_posted_ = true;
            self->body_tick_ = self->worker_.tick();  // the body timeout counts from the handler's ask
            asio::post(self->worker_.io(), [self] {
                self->body_posted_ = false;
                if (!self->closed_) self->advance();
            });
        };
    }

    // The TCP socket every operation goes through, TLS or not.
    asio::ip::tcp::socket& tcp() noexcept {
#if CELLO_TLS
        if (tls_) return tls_->next_layer();
#endif
        return socket_;
    }
    bool encrypted() const noexcept {
#if CELLO_TLS
        return tls_.has_value();
#else
        return false;
#endif
    }

#if CELLO_TLS
    // TLS first: the handshake (bounded by the header timeout), then HTTP as over TCP.
    void handshake() {
        handshaking_ = true;
        deadline_ = worker_.tick() + static_cast<std::uint64_t>(worker_.options().header_timeout.count()) + 1;
        tls_->async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](const error_code& ec) {
            self->handshaking_ = false;
            if (self->closed_) return;
            if (ec) {
                self->close();  // a client that does not speak our TLS: nothing to answer it in
                return;
            }
            self->tls_info_ = std::make_unique<TlsInfo>(describe_tls(self->tls_->native_handle()));
            self->deadline_ = kNoDeadline;
#if CELLO_HTTP2
            if (self->tls_info_->alpn == "h2") {  // the client chose HTTP/2: the connection becomes its session
                self->closed_ = true;
                start_http2(self->worker_, std::move(*self->tls_), self->ssl_context_,
                            Peer{self->client_ip_, self->client_port_, std::move(self->tls_info_)});
                return;
            }
#endif
            self->advance();
        });
    }

    // Our close_notify tells the client that the data ended here (not a cut connection); its own
    // close_notify or its close ends the wait, else the sweep does two ticks later.
    void close_tls() {
        tls_closing_ = true;
        deadline_ = worker_.tick() + 2;
        error_code ec;
        tcp().cancel(ec);  // the outstanding read returns first: the shutdown reads the client's answer
        tls_->async_shutdown([self = shared_from_this()](const error_code&) {
            self->tls_closing_ = false;
            error_code ignored;
            self->tcp().close(ignored);
        });
    }

    std::shared_ptr<asio::ssl::context> ssl_context_;  // the context this connection started with
    std::optional<TlsStream> tls_;                     // set: the socket is inside it
#endif
    std::unique_ptr<TlsInfo> tls_info_;  // what the handshake negotiated, for handlers
    bool handshaking_ = false;
    bool tls_closing_ = false;       // our close_notify is out, the client's awaited (close_tls())
    bool handover_waiting_ = false;  // hand_over() waits for the cancelled read to return
    // Cleartext with HTTP/2 on: the first bytes may be h2c's preface (sniff()).
    bool sniffing_ = false;
    std::string sniffed_;

    Worker& worker_;
    asio::ip::tcp::socket socket_;
    Phase phase_ = Phase::Waiting;
    bool closed_ = false;

    // input
    std::array<char, kReadChunk> rbuf_;   // what the outstanding read fills
    std::unique_ptr<char[]> big_rbuf_;    // ... while a large body arrives (made then)
    char* rdata_ = nullptr;               // which of the two it fills
    boost::beast::flat_buffer in_;        // bytes read but not parsed yet (partial or held back)
    std::array<std::unique_ptr<Queued>, kMaxQueued> queue_;  // a ring, its entries made as needed
    std::size_t head_ = 0, count_ = 0;
    std::size_t queued_bytes_ = 0;
    bool read_pending_ = false;
    bool input_open_ = true;   // no end of input or error yet
    bool accepting_ = true;    // more requests may follow (none after Connection: close or a bad one)
    std::string body_bytes_;   // a body's bytes on their way from the parser to the handler
    std::uint64_t body_tick_ = 0;  // when the handler's body last arrived or was asked for
    bool body_posted_ = false;     // body_wanted()'s turn is queued
    bool linger_ = false;          // a body was left unread: close lingering
    std::shared_ptr<WebSocketEndpoint> upgrade_;  // Upgrading: who gets the socket
    // and its route, as telemetry names it (recorded while the table that routed it surely lives)
    WebSocketRoute upgrade_route_;

    // the exchange being answered
    ExchangeDriver x_{worker_.io()};
    bool suspended_long_ = false;  // suspended past the worker's watch: reading beside it
    std::size_t answered_here_ = 0;

    // a streamed body
    std::unique_ptr<BodySource> stream_;
    std::function<void()> stream_ready_;
    std::string chunk_;
    bool chunked_ = true;
    bool stream_waiting_ = false;        // the source has nothing yet
    bool closing_after_stream_ = false;  // its answer is the connection's last

    // output
    std::string out_;   // in flight
    std::string next_;  // queued behind it
    bool write_pending_ = false;
    bool resting_ = false;  // wrote at once: reading and streaming go on in the next turn (write())
    std::size_t written_answers_ = 0;  // pending_ entries whose bytes are in out_
    std::vector<AnswerRecord> pending_;  // answered, not yet reported (written, or a stream not ended)

    // time
    std::uint64_t deadline_ = kNoDeadline;
    std::uint64_t write_deadline_ = 0;
    bool idle_ = false;

    Telemetry* const telemetry_ = worker_.options().telemetry.get();  // null: no inspector
    EventRing* const events_ = telemetry_ ? &telemetry_->ring(worker_.index()) : nullptr;  // this thread's
    std::string client_ip_;
    std::uint16_t client_port_ = 0;
};

}  // namespace

void start_connection(Worker& worker, asio::ip::tcp::socket socket) {
    std::make_shared<HttpConnection>(worker, std::move(socket))->start();
}

void refuse_connection(Worker& worker, asio::ip::tcp::socket socket) {
    if (worker.options().tls) {
        // A TLS client cannot read a plain answer, and a handshake to refuse it costs what the
        // limit protects: closed at once, as nginx does past worker_connections.
        error_code ec;
        socket.close(ec);
        return;
    }
    static constexpr std::string_view kBody =
        R"({"error":"Service Unavailable","status":503,"detail":"the server is at its connection limit"})";
    std::string answer = "HTTP/1.1 503 Service Unavailable\r\nDate: ";
    answer.append(worker.date());
    answer.append("\r\nContent-Type: application/json\r\nContent-Length: ");
    append_decimal(answer, kBody.size());
    answer.append("\r\nRetry-After: 1\r\nConnection: close\r\n\r\n");
    answer.append(kBody);
    // Written, then a lingering close: the client has usually sent its request already.
    close_lingering(std::move(socket), std::move(answer));
}

}  // namespace cello::engine::net
