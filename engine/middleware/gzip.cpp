#include "engine/middleware/gzip.hpp"

#include <zlib.h>

#include <array>
#include <climits>
#include <memory>

namespace cello::engine {

namespace {

class Deflater {
public:
    explicit Deflater(int level) {
        // windowBits 15 + 16: a gzip header and trailer instead of the zlib ones.
        ok_ = deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    }
    ~Deflater() {
        if (ok_) deflateEnd(&z_);
    }
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;

    bool compress(std::string_view in, std::string& out) {
        if (!ok_ || deflateReset(&z_) != Z_OK) return false;
        // One call with room for the worst case: Z_FINISH then always completes.
        out.resize(deflateBound(&z_, static_cast<uLong>(in.size())));
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        z_.avail_in = static_cast<uInt>(in.size());
        z_.next_out = reinterpret_cast<Bytef*>(out.data());
        z_.avail_out = static_cast<uInt>(out.size());
        const int rc = deflate(&z_, Z_FINISH);
        if (rc != Z_STREAM_END) return false;
        out.resize(z_.total_out);
        return true;
    }

private:
    z_stream z_{};
    bool ok_ = false;
};

}  // namespace

bool gzip_compress(std::string_view in, int level, std::string& out) {
    // zlib counts in uInt; bodies this large are not compressed in one piece here.
    if (in.size() > UINT_MAX / 2 || level < 1 || level > 9) return false;
    thread_local std::array<std::unique_ptr<Deflater>, 10> per_level;
    auto& d = per_level[static_cast<std::size_t>(level)];
    if (!d) d = std::make_unique<Deflater>(level);
    return d->compress(in, out);
}

}  // namespace cello::engine
