// Help ▸ About: what this studio is built from (its version, Qt, the embedded Python, the engine's
// libraries) and where its documentation is.
#pragma once

#include <QString>

class QWidget;

namespace cello::studio {

QString about_text();  // rich text
void show_about(QWidget* parent);

// The documentation folder of this build (the source tree's docs/ when run from a build), or "".
QString docs_dir();

}  // namespace cello::studio
