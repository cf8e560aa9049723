#include "engine/multipart_stream.hpp"

namespace cello::engine::multipart {

namespace {

constexpr std::string_view kCrlf = "\r\n";

}  // namespace

StreamReader::StreamReader(std::string_view boundary, std::size_t max_parts)
    : delimiter_("\r\n--"), max_parts_(max_parts) {
    delimiter_ += boundary;
}

bool StreamReader::feed(std::string_view bytes, Sink& sink) {
    if (phase_ == Phase::Failed) return false;
    if (phase_ == Phase::Done) return true;  // the epilogue
    if (pos_ > 0 && pos_ >= buf_.size() / 2) {  // drop what is consumed before it is copied again
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    buf_.append(bytes);
    return step(sink);
}

bool StreamReader::step(Sink& sink) {
    const std::string_view first = std::string_view(delimiter_).substr(2);  // "--" + boundary
    while (true) {
        const std::string_view rest = std::string_view(buf_).substr(pos_);
        switch (phase_) {
            case Phase::Start:
                // The first delimiter opens the body, or ends a preamble on its own line.
                if (rest.size() < first.size() && first.starts_with(rest)) return true;
                if (rest.starts_with(first)) {
                    pos_ += first.size();
                    phase_ = Phase::AfterDelimiter;
                } else {
                    phase_ = Phase::Preamble;
                }
                break;
            case Phase::Preamble: {
                const std::size_t at = rest.find(delimiter_);
                if (at == std::string_view::npos) {  // keep what could be a delimiter's start
                    if (rest.size() >= delimiter_.size()) pos_ += rest.size() - (delimiter_.size() - 1);
                    return true;
                }
                pos_ += at + delimiter_.size();
                phase_ = Phase::AfterDelimiter;
                break;
            }
            case Phase::AfterDelimiter:
                if (rest.size() < 2 && (rest.empty() || rest[0] == '-')) return true;
                if (rest.starts_with("--")) {
                    phase_ = Phase::Done;
                    buf_.clear();
                    pos_ = 0;
                    return true;
                }
                phase_ = Phase::BoundaryLine;
                break;
            case Phase::BoundaryLine: {
                // Blanks up to the line's end, consumed as they come (a CR may start the CRLF).
                const std::size_t eol = rest.find(kCrlf);
                const std::size_t line = eol == std::string_view::npos ? rest.size() : eol;
                for (std::size_t i = 0; i < line; ++i)
                    if (rest[i] != ' ' && rest[i] != '\t' && !(eol == std::string_view::npos && i + 1 == line && rest[i] == '\r'))
                        return fail(Error::BadBoundaryLine);
                if (eol == std::string_view::npos) {
                    pos_ += (!rest.empty() && rest.back() == '\r') ? rest.size() - 1 : rest.size();
                    return true;
                }
                if (parts_ >= max_parts_) return fail(Error::TooManyParts);
                pos_ += eol;  // the header window starts with this line's CRLF
                phase_ = Phase::Headers;
                break;
            }
            case Phase::Headers: {
                // The header block ends with an empty line; a part without headers starts with it.
                const std::string_view window = rest.substr(0, kMaxPartHeaderBytes + 4);
                // Searched from where the last search left off (a CRLFCRLF may straddle pieces).
                const std::size_t blank = window.find("\r\n\r\n", header_scanned_ > 3 ? header_scanned_ - 3 : 0);
                if (blank == std::string_view::npos) {
                    if (window.size() >= kMaxPartHeaderBytes + 4) return fail(Error::HeadersUnterminated);
                    header_scanned_ = window.size();
                    return true;
                }
                header_scanned_ = 0;
                const std::string_view block = blank > 0 ? rest.substr(2, blank - 2) : std::string_view();
                Part part;
                // A bad header block is reported once the part's data ends, as the whole reader
                // does (a part that never ends is reported as such first).
                if (headers_.read(block, part)) sink.begin(part);
                else bad_headers_ = headers_.error(), bad_line_ = headers_.bad_line();  // a copy: buf_ moves
                pos_ += blank + 4;
                phase_ = Phase::Data;
                break;
            }
            case Phase::Data: {
                const std::size_t at = rest.find(delimiter_);
                if (at == std::string_view::npos) {  // all but what could be a delimiter's start
                    if (rest.size() >= delimiter_.size()) {
                        const std::size_t n = rest.size() - (delimiter_.size() - 1);
                        if (bad_headers_ == Error::None) sink.data(rest.substr(0, n));
                        pos_ += n;
                    }
                    return true;
                }
                if (bad_headers_ != Error::None) return fail(bad_headers_);
                if (at > 0) sink.data(rest.substr(0, at));
                sink.end();
                ++parts_;
                pos_ += at + delimiter_.size();
                phase_ = Phase::AfterDelimiter;
                break;
            }
            case Phase::Done: return true;
            case Phase::Failed: return false;
        }
    }
}

bool StreamReader::finish() {
    switch (phase_) {
        case Phase::Done: return true;
        case Phase::Failed: return false;
        case Phase::Start:
        case Phase::Preamble: return fail(Error::NoBoundary);
        case Phase::AfterDelimiter:
        case Phase::BoundaryLine: return fail(Error::BadBoundaryLine);
        case Phase::Headers: return fail(Error::HeadersUnterminated);
        case Phase::Data: return fail(Error::NoClosingBoundary);
    }
    return false;
}

}  // namespace cello::engine::multipart
