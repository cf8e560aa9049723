// A Python traceback, as the engine records it (traceback.format_exception's text), cut into its
// frames and the lines between them, so a viewer can fold framework frames, link app frames to the
// editor and name where a failure happened. No Qt.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cello::inspector {

struct TracebackFrame {
    std::string file, function;
    int line = 0;
    std::string code;        // the lines printed under the frame (source, ^^^ markers), as printed
    bool framework = false;  // Cello's package, the standard library or an installed package
};

// One piece of the text: a frame, or any other line ("Traceback (most recent call last):",
// "During handling of the above exception...", the exception line).
struct TracebackPart {
    bool is_frame = false;
    TracebackFrame frame;  // is_frame
    std::string text;      // !is_frame: the line, without its newline
};

struct ParsedTraceback {
    std::vector<TracebackPart> parts;  // the whole text, in order
    std::string exception_type;        // of the exception raised last ("ValueError"; "" if none found)
    std::string message;               // its line ("ValueError: bad id 42")
    // Where it happened: the innermost app frame of the last exception's stack, else its innermost
    // frame; null when the text has no frame.
    const TracebackFrame* location() const;
};

// `framework_dirs`: directories whose files are framework code, besides the standard library and
// site-/dist-packages (the studio adds the directory its `cello` package is in).
ParsedTraceback parse_traceback(std::string_view text, const std::vector<std::string>& framework_dirs = {});

bool is_framework_file(std::string_view file, const std::vector<std::string>& framework_dirs = {});

}  // namespace cello::inspector
