// multipart/form-data (RFC 7578) over a body that is already in memory: the framing, each part's
// header lines and the Content-Disposition / Content-Type parameters. No allocation per byte: a
// part is views into the body (or into the reader, for folded or escaped values).
//
// The rules are those the Python layer (cello/multipart.py) has always applied, character for
// character, so the Python behaviour does not change: a part's header block is text in UTF-8 when
// it is valid UTF-8, else Latin-1 (browsers send file names as raw UTF-8); "whitespace" is
// Python's str.isspace() set in that text; parameter names compare ASCII case-insensitively
// (the same as Python's str.lower() for every name looked up here). Limits are checked before the
// work they bound: the part count before a part is read, the header block's size while it is
// searched for.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cello::engine::multipart {

// Bytes of one part's header block; a larger one is malformed (browsers send ~150 bytes).
inline constexpr std::size_t kMaxPartHeaderBytes = 16 * 1024;

// How the text of a header block (or one header value) is read.
enum class Encoding { Utf8, Latin1 };

// Python's str.isspace() for one character.
bool is_space(char32_t c) noexcept;

// `text` without leading and trailing whitespace (Python's str.strip()).
std::string_view strip(std::string_view text, Encoding enc) noexcept;

// A header value split like `form-data; name="a"; filename="b"`: the main value (stripped) and
// the parameters in order. A parameter value is stripped but still quoted; unquote() it.
struct Param {
    std::string_view name;   // as sent (compare with iequals_ascii)
    std::string_view value;
};
struct HeaderValue {
    std::string_view main;
    std::vector<Param> params;
    // The value of the last parameter called `lower_name` (ASCII case-insensitive), or nullopt.
    std::optional<std::string_view> param(std::string_view lower_name) const noexcept;
};
HeaderValue parse_header_value(std::string_view value, Encoding enc);

// A quoted parameter value without its quotes and with \" and \\ unescaped (other backslashes
// stay, so C:\dir\f.txt from old browsers survives); any other value unchanged.
std::string unquote(std::string_view raw);
// Whether unquote(raw) differs from raw (so a view can be used as is when it does not).
bool is_quoted(std::string_view raw) noexcept;

bool iequals_ascii(std::string_view a, std::string_view lower) noexcept;

// One line of a part's header block.
struct HeaderLine {
    std::string_view name;   // stripped, as sent (empty for a continuation)
    std::string_view value;  // stripped
    bool continuation = false;  // obsolete line folding: append " " + value to the previous header
};

// One part. Views stay valid until the reader's next call to next().
struct Part {
    std::string_view name;                         // the name parameter, unquoted
    std::optional<std::string_view> filename;      // the filename parameter, unquoted
    std::optional<std::string_view> filename_ext;  // filename* (RFC 8187, still percent-encoded)
    std::string_view content_type;   // the Content-Type main value as sent; "text/plain" without one
    std::optional<std::string_view> charset;       // Content-Type's charset parameter, unquoted
    std::string_view data;
    Encoding encoding = Encoding::Utf8;            // of every text view above and of `headers`
    std::vector<HeaderLine> headers;
};

enum class Error {
    None,
    NoBoundary,           // the boundary never occurs
    BadBoundaryLine,      // something other than blanks after a delimiter
    TooManyParts,         // more than max_parts
    HeadersUnterminated,  // no empty line within kMaxPartHeaderBytes
    NoClosingBoundary,    // a part's data never ends
    BadHeaderLine,        // a header line without "name:" (see bad_line())
    NotFormData,          // no Content-Disposition: form-data; name=...
};

// Reads one part's header block into a Part: its header lines, name, file name and type. The
// Part's views point into the block or into this object, valid until the next read().
class PartHeaderReader {
public:
    // False with error() BadHeaderLine or NotFormData.
    bool read(std::string_view block, Part& part);
    Error error() const noexcept { return error_; }
    std::string_view bad_line() const noexcept { return bad_line_; }
    Encoding bad_line_encoding() const noexcept { return bad_line_encoding_; }

private:
    std::string_view keep(std::string& buffer, std::string value);

    Error error_ = Error::None;
    std::string_view bad_line_;
    Encoding bad_line_encoding_ = Encoding::Utf8;
    // Storage for values that are not plain views into the block: folded headers, escapes.
    std::string disposition_, content_type_, name_, filename_, filename_ext_, charset_;
};

// An error as the Python layer words it (a bad line shown as escaped bytes).
std::string describe(Error e, std::string_view bad_line, std::size_t max_parts);

class Reader {
public:
    // `body` and `boundary` must outlive the reader.
    Reader(std::string_view body, std::string_view boundary, std::size_t max_parts);
    Reader(const Reader&) = delete;  // parts may point into the reader
    Reader& operator=(const Reader&) = delete;

    enum class Next { Part, End, Error };
    // The next part, the end (the close delimiter; an epilogue after it is ignored), or an
    // error, which is final.
    Next next(Part& part);

    Error error() const noexcept { return error_; }
    // For BadHeaderLine: the offending line, in the part's encoding (see bad_line_encoding()).
    std::string_view bad_line() const noexcept { return headers_.bad_line(); }
    Encoding bad_line_encoding() const noexcept { return headers_.bad_line_encoding(); }
    // The error as the Python layer words it (the bad line shown as escaped bytes).
    std::string message() const { return describe(error_, bad_line(), max_parts_); }
    std::size_t parts() const noexcept { return parts_; }

private:
    Next fail(Error e) {
        error_ = e;
        return Next::Error;
    }
    std::string_view body_;
    std::string delimiter_;  // "\r\n--" + boundary
    std::size_t max_parts_;
    std::size_t pos_ = 0;
    std::size_t parts_ = 0;
    bool started_ = false;
    Error error_ = Error::None;
    PartHeaderReader headers_;
};

}  // namespace cello::engine::multipart
