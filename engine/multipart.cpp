#include "engine/multipart.hpp"

#include "engine/url.hpp"

#include <algorithm>
#include <cstdint>

namespace cello::engine::multipart {

namespace {

constexpr std::string_view kCrlf = "\r\n";

// Characters are one byte in Latin-1; in UTF-8 a lead byte and the continuation bytes after it.
// The text may be UTF-8 with encoded surrogates (Python's "surrogatepass"), so only the structure
// is read; a truncated or stray sequence ends at the first byte that is not a continuation, so
// no ASCII delimiter is ever swallowed, whatever the bytes.
std::size_t char_len(std::string_view s, std::size_t i, Encoding enc) noexcept {
    if (enc == Encoding::Latin1) return 1;
    const auto b = static_cast<std::uint8_t>(s[i]);
    const std::size_t want = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    std::size_t n = 1;
    while (n < want && i + n < s.size() && (static_cast<std::uint8_t>(s[i + n]) & 0xC0) == 0x80) ++n;
    return n;
}

char32_t char_at(std::string_view s, std::size_t i, Encoding enc) noexcept {
    const auto b = static_cast<std::uint8_t>(s[i]);
    if (enc == Encoding::Latin1 || b < 0x80) return b;
    const std::size_t n = char_len(s, i, enc);
    if (n == 1) return 0xFFFD;  // a stray byte: not whitespace
    char32_t c = n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    for (std::size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<std::uint8_t>(s[i + k]) & 0x3F);
    return c;
}

// Where the character ending at `end` (exclusive) starts.
std::size_t char_start_before(std::string_view s, std::size_t end, Encoding enc) noexcept {
    std::size_t i = end - 1;
    if (enc == Encoding::Utf8)
        while (i > 0 && end - i < 4 && (static_cast<std::uint8_t>(s[i]) & 0xC0) == 0x80) --i;
    return i;
}

std::size_t skip_spaces(std::string_view s, std::size_t i, Encoding enc) noexcept {
    while (i < s.size() && is_space(char_at(s, i, enc))) i += char_len(s, i, enc);
    return i;
}

// Python's `"(?:\\.|[^"\\])*"` at s[i] == '"': the end of the quoted string, or npos when it
// does not close ('.' is any character but '\n').
std::size_t quoted_end(std::string_view s, std::size_t i, Encoding enc) noexcept {
    ++i;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '"') return i + 1;
        if (c == '\\') {
            if (i + 1 >= s.size() || s[i + 1] == '\n') return std::string_view::npos;
            i += 1 + char_len(s, i + 1, enc);
        } else {
            i += char_len(s, i, enc);
        }
    }
    return std::string_view::npos;
}

}  // namespace

bool is_space(char32_t c) noexcept {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

std::string_view strip(std::string_view text, Encoding enc) noexcept {
    const std::size_t begin = skip_spaces(text, 0, enc);
    std::size_t end = text.size();
    while (end > begin) {
        const std::size_t start = char_start_before(text, end, enc);
        if (!is_space(char_at(text, start, enc))) break;
        end = start;
    }
    return text.substr(begin, end - begin);
}

bool iequals_ascii(std::string_view a, std::string_view lower) noexcept {
    if (a.size() != lower.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != lower[i]) return false;
    }
    return true;
}

std::optional<std::string_view> HeaderValue::param(std::string_view lower_name) const noexcept {
    for (auto it = params.rbegin(); it != params.rend(); ++it)
        if (iequals_ascii(it->name, lower_name)) return it->value;
    return std::nullopt;
}

// The parameters follow Python's re.finditer over `;\s*([^\s=;]+)\s*=\s*("(?:\\.|[^"\\])*"|[^;]*)`
// from the first ';': a ';' that does not start a match is skipped, a quoted value that does not
// close is read as an unquoted one, and whatever follows a closing quote up to the next ';' is
// ignored.
HeaderValue parse_header_value(std::string_view value, Encoding enc) {
    HeaderValue out;
    const std::size_t semi = value.find(';');
    out.main = strip(value.substr(0, semi), enc);
    std::size_t pos = semi;
    while (pos != std::string_view::npos && pos < value.size()) {
        const std::size_t at = value.find(';', pos);
        if (at == std::string_view::npos) break;
        std::size_t i = skip_spaces(value, at + 1, enc);
        const std::size_t name_begin = i;
        while (i < value.size() && value[i] != '=' && value[i] != ';' && !is_space(char_at(value, i, enc)))
            i += char_len(value, i, enc);
        const std::size_t name_end = i;
        i = skip_spaces(value, i, enc);
        if (name_end == name_begin || i >= value.size() || value[i] != '=') {
            pos = at + 1;  // no match at this ';'
            continue;
        }
        const std::size_t value_begin = skip_spaces(value, i + 1, enc);
        std::size_t value_end = value_begin < value.size() && value[value_begin] == '"'
                                    ? quoted_end(value, value_begin, enc)
                                    : std::string_view::npos;
        if (value_end == std::string_view::npos) value_end = std::min(value.find(';', value_begin), value.size());
        out.params.push_back(Param{value.substr(name_begin, name_end - name_begin),
                                   strip(value.substr(value_begin, value_end - value_begin), enc)});
        pos = value_end;
    }
    return out;
}

bool is_quoted(std::string_view raw) noexcept { return raw.size() >= 2 && raw.front() == '"' && raw.back() == '"'; }

std::string unquote(std::string_view raw) {
    if (!is_quoted(raw)) return std::string(raw);
    const std::string_view inner = raw.substr(1, raw.size() - 2);
    std::string out;
    out.reserve(inner.size());
    for (std::size_t i = 0; i < inner.size(); ++i) {
        if (inner[i] == '\\' && i + 1 < inner.size() && (inner[i + 1] == '"' || inner[i + 1] == '\\')) ++i;
        out += inner[i];
    }
    return out;
}

Reader::Reader(std::string_view body, std::string_view boundary, std::size_t max_parts)
    : body_(body), delimiter_("\r\n--"), max_parts_(max_parts) {
    delimiter_ += boundary;
}

std::string_view PartHeaderReader::keep(std::string& buffer, std::string value) {
    buffer = std::move(value);
    return buffer;
}

Reader::Next Reader::next(Part& part) {
    if (error_ != Error::None) return Next::Error;
    const std::string_view first = std::string_view(delimiter_).substr(2);  // "--" + boundary
    if (!started_) {
        // The first delimiter opens the body, or ends a preamble on its own line.
        started_ = true;
        if (body_.starts_with(first)) {
            pos_ = first.size();
        } else {
            const std::size_t at = body_.find(delimiter_);
            if (at == std::string_view::npos) return fail(Error::NoBoundary);
            pos_ = at + delimiter_.size();
        }
    }
    if (body_.substr(pos_).starts_with("--")) return Next::End;
    const std::size_t eol = body_.find(kCrlf, pos_);
    if (eol == std::string_view::npos) return fail(Error::BadBoundaryLine);
    for (std::size_t i = pos_; i < eol; ++i)
        if (body_[i] != ' ' && body_[i] != '\t') return fail(Error::BadBoundaryLine);
    if (parts_ >= max_parts_) return fail(Error::TooManyParts);

    // The header block ends with an empty line; a part without headers starts with it.
    const std::string_view window = body_.substr(eol, kMaxPartHeaderBytes + 4);
    const std::size_t blank = window.find("\r\n\r\n");
    if (blank == std::string_view::npos) return fail(Error::HeadersUnterminated);
    const std::size_t head_end = eol + blank;
    const std::size_t data_start = head_end + 4;
    const std::size_t data_end = body_.find(delimiter_, data_start);
    if (data_end == std::string_view::npos) return fail(Error::NoClosingBoundary);

    const std::string_view block = head_end > eol ? body_.substr(eol + 2, head_end - eol - 2) : std::string_view();
    if (!headers_.read(block, part)) return fail(headers_.error());
    part.data = body_.substr(data_start, data_end - data_start);
    pos_ = data_end + delimiter_.size();
    ++parts_;
    return Next::Part;
}

bool PartHeaderReader::read(std::string_view block, Part& part) {
    error_ = Error::None;
    const Encoding enc = valid_utf8(block) ? Encoding::Utf8 : Encoding::Latin1;
    part.encoding = enc;
    part.headers.clear();
    if (!block.empty()) {
        std::size_t pos = 0;
        while (true) {
            const std::size_t end = std::min(block.find(kCrlf, pos), block.size());
            const std::string_view line = block.substr(pos, end - pos);
            if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !part.headers.empty()) {
                part.headers.push_back(HeaderLine{{}, strip(line, enc), true});
            } else {
                const std::size_t colon = line.find(':');
                const std::string_view name =
                    colon == std::string_view::npos ? std::string_view() : strip(line.substr(0, colon), enc);
                if (name.empty()) {
                    bad_line_ = line;
                    bad_line_encoding_ = enc;
                    error_ = Error::BadHeaderLine;
                    return false;
                }
                part.headers.push_back(HeaderLine{name, strip(line.substr(colon + 1), enc), false});
            }
            if (end == block.size()) break;
            pos = end + 2;
        }
    }

    // The value of a header: its last line, with the continuation lines that follow it.
    auto header = [&](std::string_view lower_name, std::string& buffer) -> std::optional<std::string_view> {
        std::optional<std::string_view> value;
        bool in = false, folded = false;
        for (const auto& h : part.headers) {
            if (h.continuation) {
                if (!in) continue;
                if (!folded) buffer.assign(*value);
                buffer += ' ';
                buffer += h.value;
                folded = true;
            } else if ((in = iequals_ascii(h.name, lower_name))) {
                value = h.value;
                folded = false;
            }
        }
        if (folded) value = buffer;
        return value;
    };
    auto unquoted = [&](std::string_view raw, std::string& buffer) {
        return is_quoted(raw) ? keep(buffer, unquote(raw)) : raw;
    };

    const HeaderValue disposition = parse_header_value(header("content-disposition", disposition_).value_or(""), enc);
    const auto name = disposition.param("name");
    if (!name || !iequals_ascii(disposition.main, "form-data")) {
        error_ = Error::NotFormData;
        return false;
    }
    part.name = unquoted(*name, name_);
    const auto filename = disposition.param("filename");
    part.filename = filename ? std::optional(unquoted(*filename, filename_)) : std::nullopt;
    const auto filename_ext = disposition.param("filename*");
    part.filename_ext = filename_ext ? std::optional(unquoted(*filename_ext, filename_ext_)) : std::nullopt;

    const auto type_header = header("content-type", content_type_);
    const HeaderValue type = parse_header_value(type_header.value_or("text/plain"), enc);
    part.content_type = type.main;
    const auto charset = type.param("charset");
    part.charset = charset ? std::optional(unquoted(*charset, charset_)) : std::nullopt;
    return true;
}

std::string describe(Error e, std::string_view bad_line, std::size_t max_parts) {
    switch (e) {
        case Error::None: return {};
        case Error::NoBoundary: return "malformed multipart body: the boundary never occurs";
        case Error::BadBoundaryLine: return "malformed multipart body: bad boundary line";
        case Error::TooManyParts: return "too many form parts (the limit is " + std::to_string(max_parts) + ")";
        case Error::HeadersUnterminated: return "malformed multipart body: part headers do not end (or exceed 16 KiB)";
        case Error::NoClosingBoundary: return "malformed multipart body: no closing boundary";
        case Error::BadHeaderLine: {
            std::string shown;
            static const char digits[] = "0123456789abcdef";
            for (const char c : bad_line.substr(0, 60)) {
                const auto u = static_cast<unsigned char>(c);
                if (u >= 0x20 && u < 0x7F && c != '\\' && c != '\'') shown += c;
                else shown += std::string("\\x") + digits[u >> 4] + digits[u & 15];
            }
            return "malformed multipart body: bad part header line '" + shown + "'";
        }
        case Error::NotFormData:
            return "malformed multipart body: a part without Content-Disposition: form-data; name=...";
    }
    return {};
}

}  // namespace cello::engine::multipart
