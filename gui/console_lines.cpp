#include "console_lines.hpp"

#include <QRegularExpression>
#include <QStringList>

namespace cello::studio {

namespace {

const QRegularExpression& escape_codes() {
    static const QRegularExpression re("\x1b\\[([0-9;?]*)([A-Za-z])");
    return re;
}

// The engine's request log (docs/middleware.md), text or JSON.
bool request_log(const QString& line, int& status) {
    static const QRegularExpression text(R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ ".*" (\d{3}) \d+B [\d.]+ms )");
    static const QRegularExpression json(R"(^\{"time":.*"status":(\d{3}),"latency_ms":)");
    auto m = text.match(line);
    if (!m.hasMatch()) m = json.match(line);
    if (!m.hasMatch()) return false;
    status = m.captured(1).toInt();
    return true;
}

}  // namespace

ConsoleLine LineClassifier::classify(const QString& line) {
    if (int status = 0; request_log(line, status)) {
        in_traceback_ = false;
        return {LineSource::Requests, status >= 500 ? LineLevel::Error : status >= 400 ? LineLevel::Warning : LineLevel::Info};
    }
    const bool cello = line.startsWith("cello:") || line.startsWith("cello ");
    const LineSource source = cello ? LineSource::Cello : LineSource::App;
    if (line.startsWith("Traceback (most recent call last):") || line.startsWith("cello: reload failed") ||
        (cello && (line.contains("failed") || line.contains("exception"))) || line.startsWith("During handling of the above exception") ||
        line.startsWith("The above exception was the direct cause")) {
        in_traceback_ = true;
        return {source, LineLevel::Error};
    }
    if (in_traceback_) {
        // Frames and their code are indented; the exception line that ends the traceback is not.
        if (!line.startsWith(' ') && !line.isEmpty()) in_traceback_ = false;
        return {source, LineLevel::Error};
    }
    static const QRegularExpression error_word(R"(\b(ERROR|CRITICAL|FATAL)\b|^\w*Error: )");
    static const QRegularExpression warning_word(R"(\bWARNING\b|\w*Warning: )");
    if (error_word.match(line).hasMatch()) return {source, LineLevel::Error};
    if (warning_word.match(line).hasMatch()) return {source, LineLevel::Warning};
    return {source, LineLevel::Info};
}

QString strip_ansi(const QString& s) { return QString(s).remove(escape_codes()); }

QString ansi_to_html(const QString& s) {
    static const char* colors[] = {"#000000", "#b00020", "#1d6f2b", "#8a6d00", "#3050a0", "#8a2b8a", "#1b7a7a", "#808080"};
    static const char* bright[] = {"#606060", "#e0303a", "#2e9e44", "#b08d00", "#4a6fd0", "#b040b0", "#20a0a0", "#a0a0a0"};
    QString html;
    int open = 0;  // spans to close at a reset
    qsizetype from = 0;
    auto it = escape_codes().globalMatch(s);
    while (it.hasNext()) {
        const auto m = it.next();
        html += s.mid(from, m.capturedStart() - from).toHtmlEscaped();
        from = m.capturedEnd();
        if (m.captured(2) != "m") continue;  // cursor movement and the like: not text
        const QStringList codes = m.captured(1).isEmpty() ? QStringList{"0"} : m.captured(1).split(';');
        for (const auto& c : codes) {
            const int n = c.toInt();
            if (n == 0 || n == 39 || n == 22) {
                for (; open > 0; --open) html += "</span>";
            } else if (n == 1) {
                html += "<span style='font-weight:bold'>";
                ++open;
            } else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) {
                html += QString("<span style='color:%1'>").arg(n >= 90 ? bright[n - 90] : colors[n - 30]);
                ++open;
            }
        }
    }
    html += s.mid(from).toHtmlEscaped();
    for (; open > 0; --open) html += "</span>";
    return html;
}

}  // namespace cello::studio
