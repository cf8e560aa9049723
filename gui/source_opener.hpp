// Opening a handler's source at a line, from any page (a route, a traceback frame): with
// $CELLO_EDITOR ("code -g {file}:{line}") when set, else the desktop's handler for the file.
#pragma once

#include <QString>

namespace cello::studio {

struct SourceOpened {
    bool ok = false;
    QString message;  // for the status bar: what was opened, or why nothing was
};

SourceOpened open_source(const QString& file, int line);

}  // namespace cello::studio
