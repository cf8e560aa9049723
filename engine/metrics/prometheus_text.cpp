#include "engine/metrics/prometheus_text.hpp"

#include <charconv>
#include <cmath>

namespace cello::engine::prom {

namespace {

bool name_start(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool name_char(char c) noexcept { return name_start(c) || (c >= '0' && c <= '9'); }

template <class Int>
void append_integer(std::string& out, Int value) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, r.ptr);
}

}  // namespace

bool valid_metric_name(std::string_view name) noexcept {
    if (name.empty() || !name_start(name.front())) return false;
    for (char c : name)
        if (!name_char(c)) return false;
    return true;
}

void append_label_value(std::string& out, std::string_view value) {
    for (char c : value) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '"': out += "\\\""; break;
            case '\n': out += "\\n"; break;
            default: out += c;
        }
    }
}

void append_help_text(std::string& out, std::string_view text) {
    for (char c : text) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            default: out += c;
        }
    }
}

void append_number(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
        return;
    }
    if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
        return;
    }
    // Whole numbers below 2^53 as integers: "1048576" reads better than the shortest "1.048576e+06",
    // and bucket bounds then look like the ones other client libraries write.
    if (std::fabs(value) < 9007199254740992.0 && value == std::trunc(value)) {
        append_integer(out, static_cast<std::int64_t>(value));
        return;
    }
    char buf[32];
    // Shortest round-trip digits in %g style: 0.0005 stays fixed-point (plain shortest would
    // pick "5e-04"), as Go's client writes it.
    const auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general);
    out.append(buf, r.ptr);
}

void append_number(std::string& out, std::uint64_t value) { append_integer(out, value); }
void append_number(std::string& out, std::int64_t value) { append_integer(out, value); }

void TextWriter::family(std::string_view name, std::string_view help, std::string_view type) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    append_help_text(out_, help);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
}

void TextWriter::sample_prefix(std::string_view name, Labels labels, const Label* extra) {
    out_ += name;
    if (!labels.empty() || extra) {
        char sep = '{';
        auto one = [&](const Label& l) {
            out_ += sep;
            out_ += l.first;
            out_ += "=\"";
            append_label_value(out_, l.second);
            out_ += '"';
            sep = ',';
        };
        for (const Label& l : labels) one(l);
        if (extra) one(*extra);
        out_ += '}';
    }
    out_ += ' ';
}

void TextWriter::histogram(std::string_view name, Labels labels, std::span<const double> bounds,
                           std::span<const std::uint64_t> counts, double sum) {
    scratch_.assign(name).append("_bucket");
    std::string le;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += i < counts.size() ? counts[i] : 0;
        le.clear();
        append_number(le, i < bounds.size() ? bounds[i] : HUGE_VAL);
        const Label le_label{"le", le};
        sample(scratch_, labels, cumulative, &le_label);
    }
    scratch_.assign(name).append("_sum");
    sample(scratch_, labels, sum);
    scratch_.assign(name).append("_count");
    sample(scratch_, labels, cumulative);  // the +Inf bucket by construction
}

}  // namespace cello::engine::prom
