// The byte layout of what cluster processes send each other through a MessageRing: integers in
// the machine's order (every process of a cluster runs on one machine), strings with a 32-bit
// length. A reader that runs past the end (a message cut short) says so instead of reading on.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cello::engine::cluster {

class WireWriter {
public:
    void u64(std::uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void str(std::string_view s) {
        const auto n = static_cast<std::uint32_t>(s.size());
        out_.append(reinterpret_cast<const char*>(&n), sizeof n);
        out_.append(s);
    }
    std::string& bytes() noexcept { return out_; }

private:
    std::string out_;
};

class WireReader {
public:
    explicit WireReader(std::string_view in) : in_(in) {}
    std::uint64_t u64() {
        std::uint64_t v = 0;
        if (take(sizeof v)) std::memcpy(&v, in_.data() + at_ - sizeof v, sizeof v);
        return v;
    }
    std::string str() {
        std::uint32_t n = 0;
        if (take(sizeof n)) std::memcpy(&n, in_.data() + at_ - sizeof n, sizeof n);
        if (!ok_ || !take(n)) return {};
        return std::string(in_.substr(at_ - n, n));
    }
    bool ok() const noexcept { return ok_; }

private:
    bool take(std::size_t n) {
        if (!ok_ || in_.size() - at_ < n) return ok_ = false;
        at_ += n;
        return true;
    }
    std::string_view in_;
    std::size_t at_ = 0;
    bool ok_ = true;
};

}  // namespace cello::engine::cluster
