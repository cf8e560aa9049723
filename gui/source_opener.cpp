#include "source_opener.hpp"

#include "preferences.hpp"

#include <QCoreApplication>
#include <QDesktopServices>
#include <QFileInfo>
#include <QProcess>
#include <QUrl>

namespace cello::studio {

namespace {

QString tr(const char* s) { return QCoreApplication::translate("SourceOpener", s); }

bool start_editor(const QString& command, const QString& file, int line) {
    QStringList args = QProcess::splitCommand(command);
    if (args.isEmpty()) return false;
    for (auto& a : args) a.replace("{file}", file).replace("{line}", QString::number(line));
    if (!command.contains("{file}")) args << file;
    QProcess editor;
    editor.setProgram(args.takeFirst());
    editor.setArguments(args);
    // Not our captured stdout/stderr: the editor may outlive the studio's pipe.
    editor.setStandardOutputFile(QProcess::nullDevice());
    editor.setStandardErrorFile(QProcess::nullDevice());
    return editor.startDetached();
}

}  // namespace

SourceOpened open_source(const QString& file, int line) {
    const QString where = QString("%1:%2").arg(QFileInfo(file).fileName()).arg(line);
    if (file.isEmpty()) return {false, tr("There is no source file to open")};
    if (!QFileInfo::exists(file)) return {false, tr("Could not open %1: the file is not on this machine").arg(file)};
    // The Preferences' editor command first, then $CELLO_EDITOR.
    if (const QString chosen = Preferences::load().editor; !chosen.isEmpty()) {
        if (start_editor(chosen, file, line)) return {true, tr("Opened %1 with the editor in Preferences").arg(where)};
        return {false, tr("Could not open %1: the editor in Preferences (%2) did not start").arg(where, chosen)};
    }
    const QString editor = qEnvironmentVariable("CELLO_EDITOR");
    if (!editor.isEmpty()) {
        if (start_editor(editor, file, line)) return {true, tr("Opened %1 with $CELLO_EDITOR").arg(where)};
        return {false, tr("Could not open %1: $CELLO_EDITOR did not start").arg(where)};
    }
    if (QDesktopServices::openUrl(QUrl::fromLocalFile(file)))  // the desktop cannot take a line
        return {true, tr("Opened %1 with the desktop's handler, which cannot go to line %2: set "
                         "CELLO_EDITOR or an editor in Preferences (e.g. \"code -g {file}:{line}\") to land on it")
                          .arg(QFileInfo(file).fileName())
                          .arg(line)};
    return {false, tr("Could not open %1: no program opens .py files here; set CELLO_EDITOR "
                      "(e.g. \"code -g {file}:{line}\")")
                       .arg(where)};
}

}  // namespace cello::studio
