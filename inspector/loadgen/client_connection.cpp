#include "inspector/loadgen/client_connection.hpp"

#include "inspector/loadgen/load_worker.hpp"

#include <boost/beast/http/error.hpp>

namespace cello::inspector::loadgen {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
}  // namespace

ClientConnection::ClientConnection(Worker& worker, unsigned index)
    : LoadConnection(worker, index), transport_(worker.io()) {
    batch_.reserve(plan_.config.pipeline);
}

void ClientConnection::connect() {
    if (state_ != State::Closed) return;
    state_ = State::Connecting;
    connect_started_ = Clock::now();
    transport_.open(plan_, [this, epoch = epoch_](error_code ec) {
        if (epoch != epoch_) return;
        worker_.connect_settled();
        if (ec) {
            fail(&ErrorCounts::connect);
            return;
        }
        on_connected();
    });
}

void ClientConnection::on_connected() {
    state_ = State::Open;
    parser_.emplace();
    if (plan_.head) parser_->skip(true);
    read();
    if (worker_.running()) pump();
}

void ClientConnection::read() {
    auto done = [this, epoch = epoch_](error_code ec, std::size_t n) {
        if (epoch != epoch_) return;
        if (ec) {
            // A close-delimited body ends at EOF: that completes the response.
            if (ec == asio::error::eof && parser_ && parser_->is_header_done() && parser_->need_eof()) {
                error_code eof_ec;
                parser_->put_eof(eof_ec);
                if (!eof_ec && parser_->is_done()) complete(Clock::now());
            }
            // The server may close an idle keep-alive connection; that is no error.
            if (in_flight() == 0 && ec == asio::error::eof) {
                reset();
                if (worker_.running()) connect();
                return;
            }
            fail(&ErrorCounts::read);
            return;
        }
        on_read(n);
    };
    transport_.read_some(buffer_.prepare(kReadChunk), std::move(done));
}

void ClientConnection::on_read(std::size_t n) {
    buffer_.commit(n);
    worker_.count_bytes(n);
    if (!parse(Clock::now())) return;  // the connection was reset
    if (!worker_.running()) return;
    pump();
    read();
}

// Feeds the buffer to the parser until it needs more; completes each response on the way.
// False when the connection had to be reset.
bool ClientConnection::parse(Clock::time_point now) {
    while (buffer_.size() > 0) {
        error_code ec;
        const auto used = parser_->put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec == http::error::need_more) break;
        if (ec) {
            fail(&ErrorCounts::read);
            return false;
        }
        if (!parser_->is_done()) {
            if (used == 0) break;
            continue;
        }
        if (const unsigned st = parser_->status(); st >= 100 && st < 200 && st != 101) {
            parser_.emplace();  // an interim answer (100 Continue, 103): the real one follows
            if (plan_.head) parser_->skip(true);
            continue;
        }
        const bool keep_alive = parser_->keep_alive();
        complete(now);
        if (!keep_alive) {  // the server said Connection: close; requests still in flight are lost
            reset();
            if (worker_.running()) connect();
            return false;
        }
    }
    return true;
}

void ClientConnection::complete(Clock::time_point now) {
    if (in_flight() > 0) {  // a response nobody asked for (an early 408, say) is not a request
        worker_.record(oldest(), parser_->status(), now);
        pop();
    }
    parser_.emplace();
    if (plan_.head) parser_->skip(true);
}

void ClientConnection::pump() {
    if (state_ != State::Open || writing_ || !worker_.running()) return;
    const auto now = Clock::now();
    while (has_room()) {
        const auto request = next_request(now);
        if (!request) break;
        push(*request);
        batch_.push_back(asio::buffer(plan_.requests[request->target]));
    }
    send_batch();
}

void ClientConnection::send_batch() {
    if (batch_.empty()) return;
    writing_ = true;
    auto on_written = [this, epoch = epoch_](error_code ec, std::size_t) {
        if (epoch != epoch_) return;
        writing_ = false;
        if (ec) {
            fail(&ErrorCounts::write);
            return;
        }
        pump();
    };
    if (batch_.size() == 1) transport_.write(batch_.front(), std::move(on_written));
    else transport_.write(batch_, std::move(on_written));
    batch_.clear();  // async_write copied the buffer sequence
}

void ClientConnection::close_transport() {
    transport_.close();
    batch_.clear();
    buffer_.clear();
    parser_.reset();
}

}  // namespace cello::inspector::loadgen
