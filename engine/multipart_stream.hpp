// multipart/form-data read as it arrives: the same framing and part headers as multipart::Reader
// (a body parsed either way gives the same parts and the same errors), but the body comes in
// pieces and a part's data goes out in pieces, so an upload never has to be in memory whole.
// What is kept between pieces is at most a part's header block (16 KiB) or a delimiter's length.
#pragma once

#include "engine/multipart.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace cello::engine::multipart {

class StreamReader {
public:
    // What the reader finds, in order: begin(part) (its data views are empty), data() any number
    // of times, end(); then the next part.
    class Sink {
    public:
        virtual ~Sink() = default;
        virtual void begin(const Part& part) = 0;
        virtual void data(std::string_view bytes) = 0;
        virtual void end() = 0;
    };

    StreamReader(std::string_view boundary, std::size_t max_parts);

    // The next piece of the body. False on an error, which is final (error(), message()).
    bool feed(std::string_view bytes, Sink& sink);
    // The body ended: false when it did before the close delimiter.
    bool finish();
    // The close delimiter was read (anything after it is ignored).
    bool done() const noexcept { return phase_ == Phase::Done; }

    Error error() const noexcept { return error_; }
    std::string_view bad_line() const noexcept { return bad_line_; }
    Encoding bad_line_encoding() const noexcept { return headers_.bad_line_encoding(); }
    std::string message() const { return describe(error_, bad_line(), max_parts_); }

private:
    enum class Phase { Start, Preamble, AfterDelimiter, BoundaryLine, Headers, Data, Done, Failed };
    bool fail(Error e) {
        error_ = e;
        phase_ = Phase::Failed;
        return false;
    }
    // Runs the phases over buf_ from pos_ as far as the bytes allow; false on an error.
    bool step(Sink& sink);

    std::string delimiter_;  // "\r\n--" + boundary
    std::size_t max_parts_;
    std::string buf_;        // what has arrived and is not consumed (from pos_)
    std::size_t pos_ = 0;
    std::size_t parts_ = 0;
    std::size_t header_scanned_ = 0;  // bytes of a header block searched for its end so far
    Phase phase_ = Phase::Start;
    Error error_ = Error::None;
    Error bad_headers_ = Error::None;  // of the part whose data is being skipped to its end
    std::string bad_line_;
    PartHeaderReader headers_;
};

}  // namespace cello::engine::multipart
