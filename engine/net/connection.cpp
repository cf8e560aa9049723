// The Beast-based connection: parse (with limits), dispatch, write; pipelining and keep-alive.
#include "engine/net/connection.hpp"

#include "engine/dispatch.hpp"
#include "engine/pending_response.hpp"
#include "engine/net/request_reader.hpp"
#include "engine/net/worker.hpp"
#include "engine/response_writer.hpp"
#include "engine/status.hpp"
#include "engine/telemetry/telemetry.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <vector>

namespace cello::engine::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
// Sweep ticks (seconds) an idle connection gets to send one last request after a graceful stop.
constexpr std::uint64_t kStopGraceTicks = 2;

class HttpConnection final : public Connection, public std::enable_shared_from_this<HttpConnection> {
public:
    HttpConnection(Worker& worker, asio::ip::tcp::socket socket) : worker_(worker), socket_(std::move(socket)) {
        worker_.link(this);
        error_code ec;
        socket_.set_option(asio::ip::tcp::no_delay(true), ec);
        const auto peer = socket_.remote_endpoint(ec);
        if (!ec) {
            client_ip_ = peer.address().to_string();
            client_port_ = peer.port();
        }
        set_idle();
        if (worker_.stopping()) on_stop();
    }
    ~HttpConnection() override { worker_.unlink(this); }

    void start() { do_read(); }

    void on_tick(std::uint64_t tick) override {
        if (!socket_.is_open()) return;
        if (state_ == State::Handling) {
            if (peer_gone()) close();  // cancels the pending handler
            return;
        }
        if (tick < deadline_) return;
        if (state_ == State::Reading) {
            timed_out_ = true;  // the read handler answers 408 once the cancelled read returns
            error_code ec;
            socket_.cancel(ec);
        } else {
            close();
        }
    }

    // While a handler is pending nothing reads the socket: peek to see whether the client left.
    bool peer_gone() {
        char byte;
        error_code ec;
        socket_.non_blocking(true, ec);
        const std::size_t n = socket_.receive(asio::buffer(&byte, 1), asio::socket_base::message_peek, ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) return false;
        return ec || n == 0;  // EOF or an error: gone; data: a pipelined request, still there
    }

    void on_stop() override {
        if (state_ != State::Idle) return;  // the request in progress finishes, then Connection: close
        // Idle (kept alive, or accepted just before the stop): closing now would reset a request
        // already on its way. It gets a moment to arrive and is answered with Connection: close,
        // which a client follows without an error; a connection that stays quiet is closed then.
        deadline_ = std::min(deadline_, worker_.tick() + kStopGraceTicks);
    }

    void force_close() override { close(); }

    void on_watch_due() override {
        if (state_ == State::Handling && socket_.is_open()) watch_peer();
    }

private:
    enum class State { Idle, Reading, Writing, Handling };

    // An answer queued for writing, with what is reported once it is written.
    struct PendingAnswer {
        Completion completion;
        std::chrono::steady_clock::time_point start{};
        std::uint32_t table = 0;  // index into pending_tables_
        RequestEvent event;       // with telemetry
        std::unique_ptr<AfterResponse> after;  // destroyed (so run) when the answer is out
    };

    void set_idle() {
        state_ = State::Idle;
        deadline_ = worker_.tick() + static_cast<std::uint64_t>(worker_.options().keepalive_timeout.count()) + 1;
    }

    void do_read() {
        auto buf = in_.prepare(kReadChunk);
        socket_.async_read_some(buf, [self = shared_from_this()](const error_code& ec, std::size_t n) {
            self->on_read(ec, n);
        });
    }

    void on_read(const error_code& ec, std::size_t n) {
        if (ec) {
            if (timed_out_ && socket_.is_open()) {
                respond_error(408, "timed out reading the request");
                flush();
            } else {
                close();
            }
            return;
        }
        in_.commit(n);
        if (state_ == State::Idle) {
            state_ = State::Reading;
            deadline_ = worker_.tick() + static_cast<std::uint64_t>(worker_.options().header_timeout.count()) + 1;
        }
        process();
    }

    // Parses and answers every complete request in the buffer, then writes all answers at once.
    void process() {
        while (!close_after_write_) {
            if (in_.size() == 0) break;
            if (!reader_.active()) start_request();
            const auto buf = in_.data();
            std::size_t used = 0;
            const auto state = reader_.put(static_cast<char*>(buf.data()), buf.size(), used);
            in_.consume(used);
            request_bytes_ += used;
            if (state == RequestReader::State::Failed) {
                respond_error(reader_.error_status(), reader_.error_detail());
                break;
            }
            if (state == RequestReader::State::NeedMore) {
                // The client may be waiting for a go-ahead before it sends the body.
                if (reader_.header_done() && reader_.expect_continue() && !continue_sent_) {
                    out_ += "HTTP/1.1 100 Continue\r\n\r\n";
                    continue_sent_ = true;
                }
                break;
            }
            answer();
            if (waiting_) break;  // the reader keeps this request until its answer is sent
            reader_.reset();
            if (stream_) break;  // later pipelined requests wait until the stream has ended
        }
        flush();
    }

    void start_request() {
        continue_sent_ = false;
        started_ = std::chrono::steady_clock::now();
        request_bytes_ = 0;
        reader_.start({worker_.options().max_header_bytes, worker_.options().max_body_bytes});
    }

    void answer() {
        req_.reset();
        req_.method = reader_.method();
        req_.target = reader_.target();
        req_.headers = reader_.headers();
        req_.header_count = reader_.header_count();
        req_.body = reader_.body();
        req_.client_ip = client_ip_;
        req_.client_port = client_port_;
        req_.version = reader_.version();
        if (telemetry_) req_.trace = telemetry_->capturing() ? TraceLevel::Records : TraceLevel::Counts;

        res_.clear();
        const auto& table = worker_.route_table();
        ex_.emplace(*table, req_, res_, worker_.index());
        ex_->start = started_;
        ex_->time_handler = telemetry_ != nullptr;
        head_only_ = dispatch(*ex_, scratch_);
        if (res_.pending) {
            wait_for_handler(table);
            return;
        }
        send_answer(table);
    }

    // The exchange is suspended (an async handler awaits, or a middleware waits for something):
    // nothing more is parsed or read on this connection until it resumes, posted to this thread.
    // Meanwhile a wait on the socket notices a client that goes away, and cancels the work; it starts
    // only if the exchange is still suspended a moment later (Worker::watch_suspended).
    void wait_for_handler(const std::shared_ptr<const RouteTable>& table) {
        waiting_ = std::move(res_.pending);
        waiting_table_ = table;  // the exchange points into it
        self_ = shared_from_this();  // no I/O is outstanding to keep this connection alive meanwhile
        state_ = State::Handling;
        std::weak_ptr<HttpConnection> self = weak_from_this();
        auto& io = worker_.io();
        if (const auto limit = waiting_->deadline(); limit.count() > 0) {
            suspend_timer_.expires_after(limit);
            suspend_timer_.async_wait([self, pending = waiting_](const error_code& ec) {
                if (ec) return;  // resumed or closed first
                if (auto conn = self.lock(); conn && conn->waiting_ == pending) pending->resume(pending->take_timeout_step());
            });
        }
        waiting_->attach([self, &io] {
            asio::post(io, [self] {
                if (auto conn = self.lock()) conn->resume();
            });
        });
        worker_.watch_suspended();
    }

    // While suspended nothing reads the socket: wait for it to become readable, then peek. EOF or
    // an error: the client left, close (which cancels the work). Data: a pipelined request; the
    // sweep's once-a-second peek watches from then on.
    void watch_peer() {
        if (peer_watched_) return;
        peer_watched_ = true;
        socket_.async_wait(asio::socket_base::wait_read, [self = shared_from_this()](const error_code& ec) {
            self->peer_watched_ = false;
            if (ec || !self->socket_.is_open() || self->state_ != State::Handling) return;
            if (self->peer_gone()) self->close();
        });
    }

    // The suspended exchange's answer (or step) is there: posted by the thread that completed it.
    void resume() {
        if (!waiting_ || !socket_.is_open()) return;
        if (writing_) {  // earlier pipelined answers are still going out: finish after that write
            resumed_ = true;
            return;
        }
        Resumption r = waiting_->take();
        waiting_.reset();
        suspend_timer_.cancel();
        const auto keep = std::move(self_);  // released when this call returns (I/O holds it by then)
        const auto table = std::move(waiting_table_);
        res_.pending.reset();
        if (r.response) {
            res_ = std::move(*r.response);
            finish_dispatch(*ex_);
        } else if (r.step(*ex_)) {
            finish_dispatch(*ex_);
        } else {
            continue_dispatch(*ex_);
            if (res_.pending) {  // suspended again (an async handler that awaits)
                wait_for_handler(table);
                return;
            }
        }
        send_answer(table);
        reader_.reset();
        process();  // requests pipelined behind it, then write
    }

    void send_answer(const std::shared_ptr<const RouteTable>& table) {
        worker_.count_answer();
        const bool head_only = head_only_;
        // The connection's last request once it has answered max_requests_per_connection.
        const std::size_t most = worker_.options().max_requests_per_connection;
        const bool last_allowed = most != 0 && ++answered_here_ >= most;
        const bool keep_alive = reader_.keep_alive() && !worker_.stopping() && !last_allowed;
        if (!keep_alive) close_after_write_ = true;
        const std::size_t before = out_.size();
        const bool streamed = res_.stream && !head_only && !status_forbids_body(res_.status);
        const bool sized = res_.stream_length >= 0;
        // HTTP/1.0 has no chunked encoding: an unsized stream ends with the connection.
        if (streamed && !sized && reader_.version() == 10) close_after_write_ = true;
        append_response(out_, res_, {head_only, keep_alive && !close_after_write_, reader_.version(), worker_.date()});
        if (streamed) {
            stream_ = std::move(res_.stream);
            chunked_ = !sized && reader_.version() != 10;
            if (!stream_ready_) stream_ready_ = make_stream_ready();
        }
        if (res_.after && telemetry_) res_.after->report = failure_reporter(*table);
        if (!table->middleware().empty() || telemetry_ || res_.after) {
            // Each answer keeps the table it was routed on (a reload may swap tables between two
            // pipelined answers): its middleware are the ones told, and its routes stay alive.
            if (pending_tables_.empty() || pending_tables_.back() != table) pending_tables_.push_back(table);
            PendingAnswer& p = pending_.emplace_back();
            p.completion = {ex_->route, ex_->method, res_.status, out_.size() - before, {}, ex_->cache,
                            std::move(ex_->log_line), ex_->notes, ex_->unobserved};
            p.start = started_;
            p.table = static_cast<std::uint32_t>(pending_tables_.size() - 1);
            if (telemetry_) report_answer(p.event, *table);
            p.after = std::move(res_.after);
        }
    }

    // How work done after the answer (background tasks) reports a failure: as an error of this
    // request, with its route, status and headers.
    std::function<void(std::string, std::string)> failure_reporter(const RouteTable& table) {
        ErrorRecord base;
        base.table_generation = table.generation();
        base.route_id = ex_->route ? ex_->route->id : kUnmatchedRoute;
        base.method = ex_->method;
        base.status = res_.status;
        base.path = req_.target;
        copy_headers(base.headers);
        return [telemetry = worker_.options().telemetry, base = std::move(base)](std::string message, std::string traceback) {
            ErrorRecord e = base;
            e.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
            e.message = std::move(message);
            e.traceback = std::move(traceback);
            telemetry->record_error(std::move(e));
        };
    }

    // The parts of the telemetry event known now (the route is resolved against the table that
    // routed it); time, latency and bytes out are filled in when the write completes. A failure is
    // reported at once, with its cause.
    void report_answer(RequestEvent& e, const RouteTable& table) {  // e: fresh, value-initialised
        e.handler_ns = ex_->handler_time.count();
        e.bytes_in = request_bytes_;
        e.thread_index = static_cast<std::uint16_t>(worker_.index());
        e.table_generation = table.generation();
        e.route_id = ex_->route ? ex_->route->id : kUnmatchedRoute;
        e.set_path(req_.path.empty() ? req_.target : req_.path);
        if (const RequestTrace* t = res_.trace.get()) {
            e.db_us = static_cast<std::uint32_t>(std::min<std::int64_t>(t->db_ns() / 1000, UINT32_MAX));
            e.db_queries = static_cast<std::uint16_t>(std::min<std::uint32_t>(t->queries(), UINT16_MAX));
            e.db_repeats = static_cast<std::uint16_t>(std::min<std::uint32_t>(t->max_repeats(), UINT16_MAX));
        }
        if (telemetry_->capturing()) capture_detail(e);
        if (!res_.error) return;
        ErrorRecord err;
        err.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
        err.table_generation = e.table_generation;
        err.route_id = e.route_id;
        err.method = ex_->method;
        err.status = res_.status;
        err.path = req_.target;
        err.message = std::move(res_.error->message);
        err.traceback = std::move(res_.error->traceback);
        copy_headers(err.headers);
        err.body_preview = req_.body.substr(0, Telemetry::kBodyPreviewBytes);
        telemetry_->record_error(std::move(err));
    }

    void copy_headers(std::vector<std::pair<std::string, std::string>>& out) const {
        for (std::size_t i = 0; i < req_.header_count; ++i)
            out.emplace_back(req_.headers[i].name, req_.headers[i].value);  // Telemetry redacts
    }

    // Reports the answers of the last write to the middleware (metrics) and the telemetry ring.
    // With `keep_last`, the last one (a stream still being sent) waits for its end.
    void complete_pending(bool keep_last = false) {
        const std::size_t n = pending_.size() - (keep_last && !pending_.empty() ? 1 : 0);
        if (n == 0) return;
        const auto now = std::chrono::steady_clock::now();
        std::int64_t wall_ns = 0;
        if (telemetry_)
            wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
        for (std::size_t i = 0; i < n; ++i) {
            PendingAnswer& p = pending_[i];
            p.completion.latency = now - p.start;
            for (const auto& m : pending_tables_[p.table]->middleware()) m->complete(p.completion, worker_.index());
            if (telemetry_) publish_event(p, wall_ns);
        }
        if (n == pending_.size()) {
            pending_.clear();
            pending_tables_.clear();
            return;
        }
        std::swap(pending_.front(), pending_.back());  // only the stream's entry stays
        pending_.resize(1);
        auto table = std::move(pending_tables_[pending_.front().table]);
        pending_tables_.assign(1, std::move(table));
        pending_.front().table = 0;
    }

    // Detail capture (the studio's): the request's and the response's headers, the body's start.
    void capture_detail(RequestEvent& e) {
        thread_local std::uint32_t next_seq = 0;  // per engine thread, like its ring
        DetailRecord d;
        d.thread = e.thread_index;
        d.seq = e.detail_seq = ++next_seq ? next_seq : ++next_seq;  // 0 means "none"
        d.query = req_.query;
        d.target = req_.target;
        copy_headers(d.headers);
        if (!res_.content_type.empty()) d.response_headers.emplace_back("Content-Type", res_.content_type);
        for (const auto& [name, value] : res_.headers) d.response_headers.emplace_back(name, value);
        d.body_preview = req_.body.substr(0, Telemetry::kBodyPreviewBytes);
        d.response_streamed = static_cast<bool>(res_.stream);
        if (!head_only_) {
            d.response_size = res_.body.size();
            d.response_preview = res_.body.substr(0, Telemetry::kResponsePreviewBytes);
        }
        if (RequestTrace* t = res_.trace.get()) {
            d.queries = std::move(t->query_records());
            d.logs = std::move(t->log_records());
            d.queries_total = t->queries();
            d.logs_total = t->logs();
        }
        telemetry_->record_detail(std::move(d));
    }

    void publish_event(PendingAnswer& p, std::int64_t wall_ns) {
        RequestEvent& e = p.event;
        const Completion& c = p.completion;
        e.time_ns = wall_ns;
        e.latency_ns = c.latency.count();
        e.bytes_out = c.bytes_out;
        e.status = static_cast<std::uint16_t>(c.status < 0 ? 0 : c.status);
        e.method = c.method;
        e.cache = c.cache;
        ring_->push(e);
    }

    // A protocol-level error: answer it and close, since the stream position is lost.
    void respond_error(int status, std::string_view detail) {
        res_.clear();
        make_error(res_, status, detail);
        close_after_write_ = true;
        append_response(out_, res_, {false, false, reader_.version(), worker_.date()});
    }

    void flush() {
        if (out_.empty()) {
            if (close_after_write_) close();
            else if (!waiting_) do_read();
            return;
        }
        writing_ = true;
        if (!waiting_) state_ = State::Writing;
        deadline_ = worker_.tick() + static_cast<std::uint64_t>(worker_.options().write_timeout.count()) + 1;
        asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this()](const error_code& ec, std::size_t) {
            self->on_write(ec);
        });
    }

    void on_write(const error_code& ec) {
        writing_ = false;
        // A streamed response completes when its last chunk is out; the answers written before it
        // complete now.
        complete_pending(/*keep_last=*/static_cast<bool>(stream_));
        out_.clear();
        if (ec) {
            close();
            return;
        }
        if (waiting_) {
            if (resumed_) {
                resumed_ = false;
                resume();
            }
            return;  // no reading while a handler is pending
        }
        if (stream_) {
            pump_stream();
            return;
        }
        if (close_after_write_) {
            close();
            return;
        }
        if (in_.size() > 0) {
            state_ = State::Reading;  // pipelined or partial requests are waiting
            deadline_ = worker_.tick() + static_cast<std::uint64_t>(worker_.options().header_timeout.count()) + 1;
            process();
            return;
        }
        if (reader_.active()) state_ = State::Reading;
        else set_idle();
        // Stopping, after an answer that promised keep-alive: the client's next request may be on
        // its way; it gets the stop's grace (on_stop) and a Connection: close answer.
        if (worker_.stopping()) on_stop();
        do_read();
    }

    // Sends the next chunk of a streamed body (or the end of it).
    void pump_stream() {
        auto pulled = BodySource::Pull::Chunk;
        try {
            while (pulled == BodySource::Pull::Chunk && out_.empty()) {
                pulled = stream_->pull(chunk_, stream_ready_);
                if (pulled == BodySource::Pull::Chunk) {
                    const std::size_t before = out_.size();
                    if (chunked_) append_chunk(out_, chunk_);
                    else out_ += chunk_;
                    if (!pending_.empty()) pending_.back().completion.bytes_out += out_.size() - before;
                }
            }
        } catch (const std::exception&) {
            // Headers are out: the only honest signal left is an incomplete body.
            stream_.reset();
            close();
            return;
        }
        if (pulled == BodySource::Pull::Later && out_.empty()) {
            // Nothing to send until the source calls ready(); meanwhile the sweep watches the peer.
            stream_waiting_ = true;
            state_ = State::Handling;
            self_ = shared_from_this();
            return;
        }
        if (pulled == BodySource::Pull::End) {
            stream_.reset();
            if (chunked_) {
                out_ += kLastChunk;
                if (!pending_.empty()) pending_.back().completion.bytes_out += kLastChunk.size();
            }
            if (out_.empty()) {  // a sized stream ends with its last data write
                complete_pending();
                on_write({});    // carry on as after a write: pipelined requests, keep-alive
                return;
            }
        }
        flush();
    }

    // Installed once per connection: an asynchronous body source wakes the connection through it.
    std::function<void()> make_stream_ready() {
        std::weak_ptr<HttpConnection> self = weak_from_this();
        auto& io = worker_.io();
        return [self, &io] {
            asio::post(io, [self] {
                if (auto conn = self.lock()) conn->stream_ready();
            });
        };
    }

    void stream_ready() {
        if (!stream_waiting_ || !stream_ || !socket_.is_open()) return;
        stream_waiting_ = false;
        const auto keep = std::move(self_);
        pump_stream();
    }

    void close() {
        if (waiting_) {
            waiting_->cancel();  // the client is gone: stop the handler's task
            waiting_.reset();
            suspend_timer_.cancel();
            abandon_dispatch(*ex_);  // e.g. a cache leader lets its followers go
            waiting_table_.reset();
            resumed_ = false;
        }
        stream_.reset();  // stops a generator (or cancels an async one) whose client went away
        stream_waiting_ = false;
        complete_pending();
        if (socket_.is_open()) {
            error_code ec;
            socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
            socket_.close(ec);
        }
        // Held while nothing else was: released later, so that `this` outlives this call.
        if (self_) asio::post(worker_.io(), [keep = std::move(self_)] {});
    }

    Worker& worker_;
    asio::ip::tcp::socket socket_;
    boost::beast::flat_buffer in_;
    std::string out_;
    std::string chunk_;
    std::unique_ptr<BodySource> stream_;
    bool chunked_ = true;
    Request req_;
    std::optional<Exchange> ex_;
    bool head_only_ = false;
    DispatchScratch scratch_;  // per connection: a pending request's decoded path must survive others
    std::shared_ptr<PendingResponse> waiting_;  // a suspended exchange's answer, not there yet
    std::shared_ptr<const RouteTable> waiting_table_;
    bool resumed_ = false;  // the answer arrived while a write was in flight
    bool peer_watched_ = false;          // watch_peer()'s wait is outstanding
    asio::steady_timer suspend_timer_{socket_.get_executor()};  // a suspended exchange's deadline
    bool writing_ = false;
    std::shared_ptr<HttpConnection> self_;  // held while a handler or an async body source is pending
    bool stream_waiting_ = false;           // an async body source has nothing yet
    std::function<void()> stream_ready_;
    std::vector<PendingAnswer> pending_;  // answered, not yet written (or a stream not yet ended)
    std::vector<std::shared_ptr<const RouteTable>> pending_tables_;  // the tables they were routed on
    Telemetry* const telemetry_ = worker_.options().telemetry.get();  // null: no inspector
    std::size_t answered_here_ = 0;  // requests answered on this connection
    EventRing* const ring_ = telemetry_ ? &telemetry_->ring(worker_.index()) : nullptr;  // this thread's
    std::size_t request_bytes_ = 0;
    RequestReader reader_;
    Response res_;
    std::string client_ip_;
    std::uint16_t client_port_ = 0;
    State state_ = State::Idle;
    std::uint64_t deadline_ = 0;
    std::chrono::steady_clock::time_point started_{};
    bool close_after_write_ = false;
    bool continue_sent_ = false;
    bool timed_out_ = false;
};

}  // namespace

void start_connection(Worker& worker, asio::ip::tcp::socket socket) {
    std::make_shared<HttpConnection>(worker, std::move(socket))->start();
}

void refuse_connection(Worker& worker, asio::ip::tcp::socket socket) {
    static constexpr std::string_view kBody =
        R"({"error":"Service Unavailable","status":503,"detail":"the server is at its connection limit"})";
    auto answer = std::make_shared<std::string>("HTTP/1.1 503 Service Unavailable\r\nDate: ");
    answer->append(worker.date());
    answer->append("\r\nContent-Type: application/json\r\nContent-Length: ");
    append_decimal(*answer, kBody.size());
    answer->append("\r\nRetry-After: 1\r\nConnection: close\r\n\r\n");
    answer->append(kBody);
    // Written, then a lingering close (as nginx's lingering_close): the client has usually sent its
    // request already, and closing with it unread would send a reset that can destroy the 503
    // before the client reads it. So: our side shut, the rest read and dropped until the client
    // closes, 64 KiB or 2 seconds, whichever comes first.
    struct Refusal {
        asio::ip::tcp::socket socket;
        asio::steady_timer timer;
        std::string answer;
        std::array<char, 4096> sink{};
        std::size_t drained = 0;
        explicit Refusal(asio::ip::tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
        void close() {
            boost::system::error_code ec;
            timer.cancel();
            socket.close(ec);
        }
        static void drain(const std::shared_ptr<Refusal>& r) {
            r->socket.async_read_some(asio::buffer(r->sink), [r](const boost::system::error_code& ec, std::size_t n) {
                r->drained += n;
                if (ec || r->drained > 64 * 1024) return r->close();
                drain(r);
            });
        }
    };
    auto r = std::make_shared<Refusal>(std::move(socket));
    r->answer = std::move(*answer);
    asio::async_write(r->socket, asio::buffer(r->answer), [r](const boost::system::error_code& ec, std::size_t) {
        if (ec) return r->close();
        boost::system::error_code ignored;
        r->socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        r->timer.expires_after(std::chrono::seconds(2));
        r->timer.async_wait([r](const boost::system::error_code& e) {
            if (!e) r->close();
        });
        Refusal::drain(r);
    });
}

}  // namespace cello::engine::net
