#include "routes_page.hpp"

#include "studio_state.hpp"
#include "table_view_style.hpp"

#include <QDesktopServices>
#include <QFileInfo>
#include <QHeaderView>
#include <QProcess>
#include <QTableView>
#include <QUrl>
#include <QVBoxLayout>

namespace cello::studio {

RoutesPage::RoutesPage(StudioState& state, QWidget* parent) : QWidget(parent), table_(new QTableView(this)) {
    table_->setObjectName("routesTable");
    table_->setModel(&model_);
    style_read_only_table(table_);
    table_->setToolTip(tr("Double-click a route to open its handler"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(table_);
    connect(&state, &StudioState::updated, this, [this, &state] { model_.refresh(state.view()); });
    connect(&state, &StudioState::reset, this, [this] { model_.clear(); });
    connect(table_, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        const auto* r = model_.row(index.row());
        if (!r) return;
        const QString file = QString::fromStdString(r->info.file);
        const QString where = QString("%1:%2").arg(QFileInfo(file).fileName()).arg(r->info.line);
        if (file.isEmpty()) {
            Q_EMIT sourceOpened(false, tr("%1 has no source file to open").arg(QString::fromStdString(r->info.label())));
            return;
        }
        const bool editor = !qEnvironmentVariable("CELLO_EDITOR").isEmpty();
        const bool ok = openSource(file, r->info.line);
        if (ok && editor)
            Q_EMIT sourceOpened(true, tr("Opened %1 with $CELLO_EDITOR").arg(where));
        else if (ok)
            Q_EMIT sourceOpened(true, tr("Opened %1 with the desktop's handler, which cannot go to line %2: set "
                                         "CELLO_EDITOR (e.g. \"code -g {file}:{line}\") to land on it")
                                          .arg(QFileInfo(file).fileName())
                                          .arg(r->info.line));
        else
            Q_EMIT sourceOpened(false, tr("Could not open %1: %2").arg(where, editor ? tr("$CELLO_EDITOR did not start")
                                                                         : tr("no program opens .py files here; set "
                                                                              "CELLO_EDITOR (e.g. \"code -g {file}:{line}\")")));
    });
}

bool RoutesPage::openSource(const QString& file, int line) {
    if (file.isEmpty()) return false;
    const QString editor = qEnvironmentVariable("CELLO_EDITOR");
    if (!editor.isEmpty()) {
        QStringList args = QProcess::splitCommand(editor);
        for (auto& a : args) a.replace("{file}", file).replace("{line}", QString::number(line));
        if (!editor.contains("{file}")) args << file;
        QProcess editor_process;
        editor_process.setProgram(args.takeFirst());
        editor_process.setArguments(args);
        // Not our captured stdout/stderr: the editor may outlive the studio's pipe.
        editor_process.setStandardOutputFile(QProcess::nullDevice());
        editor_process.setStandardErrorFile(QProcess::nullDevice());
        return editor_process.startDetached();
    }
    return QDesktopServices::openUrl(QUrl::fromLocalFile(file));  // the desktop cannot take a line
}

}  // namespace cello::studio
