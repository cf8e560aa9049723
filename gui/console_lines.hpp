// What the Console knows about a line of output: where it comes from (the app's own output, the
// request log, Cello's messages, the studio) and how bad it is, read from the text itself — the
// app's stdout and stderr share one pipe so that their order is exact, and tracebacks, request-log
// lines and warnings look the same on either. Also terminal colours (ANSI SGR) as HTML.
#pragma once

#include <QString>

namespace cello::studio {

enum class LineSource { App, Requests, Cello, Studio };
enum class LineLevel { Info, Warning, Error };

struct ConsoleLine {
    LineSource source = LineSource::App;
    LineLevel level = LineLevel::Info;
};

// Classifies captured output line by line; a traceback spans lines, so it keeps state.
class LineClassifier {
public:
    ConsoleLine classify(const QString& plain_line);

private:
    bool in_traceback_ = false;
};

QString strip_ansi(const QString& s);
// HTML-escaped text with SGR colours, bold and resets as <span>s (other escape codes dropped).
QString ansi_to_html(const QString& s);

}  // namespace cello::studio
