#include "about_dialog.hpp"

#include "python_runtime.hpp"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QMessageBox>
#include <QUrl>

#include <boost/version.hpp>

namespace cello::studio {

QString docs_dir() {
    // Run from a build directory (build/cello-studio) or an install prefix (bin/cello-studio):
    // the docs sit beside or above it.
    QDir dir(QCoreApplication::applicationDirPath());
    for (int up = 0; up < 3; ++up) {
        for (const char* candidate : {"docs", "share/doc/cello"})
            if (QFileInfo::exists(dir.filePath(QString(candidate) + "/studio.md"))) return dir.filePath(candidate);
        if (!dir.cdUp()) break;
    }
    return {};
}

QString about_text() {
    const QString docs = docs_dir();
    QString text = QString("<h3>Cello Studio %1</h3>").arg(CELLO_VERSION);
    text += QCoreApplication::translate("About", "<p>Runs a Cello app, reloads it on save and shows what its engine saw.</p>");
    text += "<table>";
    const auto row = [&](const QString& what, const QString& value) {
        text += QString("<tr><td>%1&nbsp;&nbsp;</td><td>%2</td></tr>").arg(what, value.toHtmlEscaped());
    };
    row("Engine", QString("cello %1 (Boost.Beast/Asio %2)").arg(CELLO_VERSION, QString(BOOST_LIB_VERSION).replace('_', '.')));
    row("Python", QString::fromStdString(PythonRuntime::version()));
    row("Qt", QString("%1 (built with %2)").arg(qVersion(), QT_VERSION_STR));
    text += "</table>";
    if (!docs.isEmpty())
        text += QString("<p>Documentation: <a href='%1'>%2</a> — the studio: <a href='%3'>studio.md</a></p>")
                    .arg(QUrl::fromLocalFile(docs).toString(), docs.toHtmlEscaped(),
                         QUrl::fromLocalFile(docs + "/studio.md").toString());
    return text;
}

void show_about(QWidget* parent) {
    QMessageBox box(parent);
    box.setObjectName("aboutDialog");
    box.setWindowTitle(QCoreApplication::translate("About", "About Cello Studio"));
    box.setTextFormat(Qt::RichText);
    box.setText(about_text());
    box.setIconPixmap(QIcon(":/icons/cello.svg").pixmap(64, 64));
    box.exec();
}

}  // namespace cello::studio
