#include "engine/http_date.hpp"
#include "engine/platform/civil_time.hpp"

#include <charconv>
#include <chrono>

namespace cello::engine {

std::string format_http_date(std::time_t t) {
    const std::tm tm = platform::utc_time(t);
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return std::string(buf, n);
}

namespace {

bool parse_digits(std::string_view s, int& out) noexcept {
    if (s.empty()) return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size() && s.front() != '-' && s.front() != '+';
}

int month_number(std::string_view m) noexcept {
    constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int i = 0; i < 12; ++i)
        if (m == kMonths[i]) return i + 1;
    return 0;
}

// "HH:MM:SS" -> seconds of the day.
std::optional<int> parse_clock(std::string_view s) noexcept {
    int h = 0, m = 0, sec = 0;
    if (s.size() != 8 || s[2] != ':' || s[5] != ':') return std::nullopt;
    if (!parse_digits(s.substr(0, 2), h) || !parse_digits(s.substr(3, 2), m) || !parse_digits(s.substr(6, 2), sec))
        return std::nullopt;
    if (h > 23 || m > 59 || sec > 60) return std::nullopt;  // 60: a leap second
    return h * 3600 + m * 60 + sec;
}

std::optional<std::int64_t> to_epoch(int year, int month, int day, std::optional<int> clock) noexcept {
    using namespace std::chrono;
    if (!clock || month == 0) return std::nullopt;
    const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                             std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok()) return std::nullopt;
    return static_cast<std::int64_t>(sys_days{ymd}.time_since_epoch().count()) * 86400 + *clock;
}

}  // namespace

std::optional<std::int64_t> parse_http_date(std::string_view t) noexcept {
    int day = 0, year = 0;
    const std::size_t comma = t.find(',');
    if (comma == std::string_view::npos) {
        // asctime: "Sun Nov  6 08:49:37 1994"
        if (t.size() != 24 || t[3] != ' ' || t[7] != ' ' || t[10] != ' ' || t[19] != ' ') return std::nullopt;
        const std::string_view d = t[8] == ' ' ? t.substr(9, 1) : t.substr(8, 2);
        if (!parse_digits(d, day) || !parse_digits(t.substr(20, 4), year)) return std::nullopt;
        return to_epoch(year, month_number(t.substr(4, 3)), day, parse_clock(t.substr(11, 8)));
    }
    const std::string_view r = t.substr(comma + 1);
    if (r.size() == 25 && r[0] == ' ' && r[3] == ' ' && r[7] == ' ' && r[12] == ' ' && r.substr(21) == " GMT") {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        if (!parse_digits(r.substr(1, 2), day) || !parse_digits(r.substr(8, 4), year)) return std::nullopt;
        return to_epoch(year, month_number(r.substr(4, 3)), day, parse_clock(r.substr(13, 8)));
    }
    if (r.size() == 23 && r[0] == ' ' && r[3] == '-' && r[7] == '-' && r[10] == ' ' && r.substr(19) == " GMT") {
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". Two-digit years: 70-99 are 19xx, the rest 20xx.
        if (!parse_digits(r.substr(1, 2), day) || !parse_digits(r.substr(8, 2), year)) return std::nullopt;
        year += year >= 70 ? 1900 : 2000;
        return to_epoch(year, month_number(r.substr(4, 3)), day, parse_clock(r.substr(11, 8)));
    }
    return std::nullopt;
}

}  // namespace cello::engine
