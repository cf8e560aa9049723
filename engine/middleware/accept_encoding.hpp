// Accept-Encoding (RFC 9110 12.5.3) reduced to the one question the engine asks: may this
// response be sent gzip-compressed?
#pragma once

#include <string_view>

namespace cello::engine {

// Feed every Accept-Encoding field line of a request in order, then ask gzip().
//
// Only the first kMaxBytes bytes and kMaxEntries entries (over all lines) are read: a client can
// send a 16 KiB header, but deciding on gzip never costs more than this. An entry cut by the byte
// limit is dropped rather than read half ("gzip;q=0" must not become "gzip").
class AcceptEncoding {
public:
    static constexpr std::size_t kMaxBytes = 1024;
    static constexpr unsigned kMaxEntries = 32;

    void add(std::string_view field_value) noexcept;

    // True when gzip (or x-gzip, or "*") has a q-value above 0 and is not ranked below an explicit
    // identity preference. A client that forbids identity and does not take gzip still gets
    // identity from us: a 406 helps nobody.
    bool gzip() const noexcept;

private:
    void entry(std::string_view item) noexcept;

    // q-values in thousandths (0..1000); -1: not listed. The first listing of a coding wins.
    int gzip_q_ = -1;
    int identity_q_ = -1;
    int any_q_ = -1;
    std::size_t bytes_left_ = kMaxBytes;
    unsigned entries_left_ = kMaxEntries;
};

// One field value at a time, for callers with a single Accept-Encoding line.
inline bool accepts_gzip(std::string_view field_value) noexcept {
    AcceptEncoding a;
    a.add(field_value);
    return a.gzip();
}

// Parses a qvalue ("0", "0.5", "1.000"): thousandths, or -1 when malformed.
int parse_qvalue(std::string_view s) noexcept;

}  // namespace cello::engine
