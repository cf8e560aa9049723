// The Prometheus text exposition format 0.0.4: escaping, numbers, and family/sample lines.
// Knows nothing of HTTP or of what is measured; metrics_exposition.cpp decides what to write.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace cello::engine::prom {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

using Label = std::pair<std::string_view, std::string_view>;  // name, value (unescaped)
using Labels = std::span<const Label>;

// True for a valid metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool valid_metric_name(std::string_view name) noexcept;

// Label values escape backslash, double quote and newline; HELP text only backslash and newline.
void append_label_value(std::string& out, std::string_view value);
void append_help_text(std::string& out, std::string_view text);

// Numbers as Prometheus parses them: integers without a fraction, otherwise the shortest text
// that round-trips; +Inf, -Inf and NaN spelled the Go way.
void append_number(std::string& out, double value);
void append_number(std::string& out, std::uint64_t value);
void append_number(std::string& out, std::int64_t value);

// Writes one exposition page into a string. Families must be written whole (their samples right
// after their header) and each family once: the format forbids interleaving.
class TextWriter {
public:
    explicit TextWriter(std::string& out) : out_(out) {}

    // "# HELP name help\n# TYPE name type\n"; type is counter, gauge, histogram, summary or untyped.
    void family(std::string_view name, std::string_view help, std::string_view type);

    // name{labels} value\n ("name value" without labels). `extra` is appended after `labels`, so a
    // histogram's le label needs no copy of the others.
    template <class Value>
    void sample(std::string_view name, Labels labels, Value value, const Label* extra = nullptr) {
        sample_prefix(name, labels, extra);
        append_number(out_, value);
        out_ += '\n';
    }

    // A histogram's series: `counts[i]` observations fell into (bounds[i-1], bounds[i]]; the last
    // element counts those above every bound. Written cumulatively, with the +Inf bucket equal to
    // _count, as the format requires.
    void histogram(std::string_view name, Labels labels, std::span<const double> bounds,
                   std::span<const std::uint64_t> counts, double sum);

private:
    void sample_prefix(std::string_view name, Labels labels, const Label* extra);

    std::string& out_;
    std::string scratch_;  // "<name>_bucket" and friends, reused
};

}  // namespace cello::engine::prom
