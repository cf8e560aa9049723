#include "inspector/traceback_text.hpp"

#include <cctype>
#include <charconv>

namespace cello::inspector {

namespace {

std::string_view trim_left(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '|' || s.front() == '+')) s.remove_prefix(1);
    return s;
}

// `  File "path", line 12, in name` (also inside an exception group's "| " margin).
bool parse_frame_line(std::string_view line, TracebackFrame& f) {
    std::string_view s = trim_left(line);
    if (!s.starts_with("File \"")) return false;
    s.remove_prefix(6);
    const auto quote = s.find("\", line ");
    if (quote == std::string_view::npos) return false;
    f.file = std::string(s.substr(0, quote));
    s.remove_prefix(quote + 8);
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), f.line);
    if (ec != std::errc{}) return false;
    s.remove_prefix(static_cast<std::size_t>(end - s.data()));
    f.function = s.starts_with(", in ") ? std::string(s.substr(5)) : std::string();
    return true;
}

bool indented(std::string_view line) {  // a frame's code lines are indented deeper than "  File"
    std::size_t n = 0;
    while (n < line.size() && (line[n] == ' ' || line[n] == '|')) ++n;
    return n >= 4 && n < line.size();
}

// "ValueError: x", "KeyError", "mod.CustomError: y": a line that names an exception.
std::string exception_type_of(std::string_view line) {
    line = trim_left(line);
    const auto colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    if (name.empty() || name.find(' ') != std::string_view::npos) return {};
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return {};
    return std::string(name);
}

}  // namespace

bool is_framework_file(std::string_view file, const std::vector<std::string>& framework_dirs) {
    if (file.starts_with("<")) return true;  // <frozen runpy>, <string>
    for (std::string_view marker : {"/site-packages/", "/dist-packages/", "/lib/python3", "\\lib\\python3", "\\Lib\\"})
        if (file.find(marker) != std::string_view::npos) return true;
    for (const auto& dir : framework_dirs)
        if (!dir.empty() && file.starts_with(dir)) return true;
    return false;
}

ParsedTraceback parse_traceback(std::string_view text, const std::vector<std::string>& framework_dirs) {
    ParsedTraceback out;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        TracebackFrame f;
        if (parse_frame_line(line, f)) {
            f.framework = is_framework_file(f.file, framework_dirs);
            out.parts.push_back({true, std::move(f), {}});
            continue;
        }
        if (!out.parts.empty() && out.parts.back().is_frame && indented(line)) {
            auto& code = out.parts.back().frame.code;
            if (!code.empty()) code += '\n';
            code += line;
            continue;
        }
        if (line.empty() && text.empty()) break;  // the final newline
        if (auto type = exception_type_of(line); !type.empty()) {
            out.exception_type = std::move(type);
            out.message = std::string(trim_left(line));
        }
        out.parts.push_back({false, {}, std::string(line)});
    }
    return out;
}

const TracebackFrame* ParsedTraceback::location() const {
    // The last exception's stack: the frames after the last "Traceback" line.
    std::size_t from = 0;
    for (std::size_t i = 0; i < parts.size(); ++i)
        if (!parts[i].is_frame && trim_left(parts[i].text).starts_with("Traceback")) from = i;
    const TracebackFrame* innermost = nullptr;
    const TracebackFrame* app = nullptr;
    for (std::size_t i = from; i < parts.size(); ++i) {
        if (!parts[i].is_frame) continue;
        innermost = &parts[i].frame;
        if (!parts[i].frame.framework) app = innermost;
    }
    return app ? app : innermost;
}

}  // namespace cello::inspector
