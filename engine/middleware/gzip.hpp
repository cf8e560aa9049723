// gzip compression with one zlib deflate stream per thread and level, reset between bodies:
// deflateInit allocates ~256 KiB of tables, far more than compressing a typical body costs.
#pragma once

#include <string>
#include <string_view>

namespace cello::engine {

// Replaces `out` with the gzip member (RFC 1952) of `in` at `level` (1..9). False when zlib
// fails (out of memory); `out` is then unspecified.
bool gzip_compress(std::string_view in, int level, std::string& out);

}  // namespace cello::engine
