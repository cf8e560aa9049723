#include "preferences.hpp"

#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPalette>
#include <QSettings>
#include <QSpinBox>
#include <QStyle>

namespace cello::studio {

Preferences Preferences::load() {
    QSettings s;
    Preferences p;
    p.editor = s.value("preferences/editor", p.editor).toString();
    p.host = s.value("preferences/host", p.host).toString();
    p.port = s.value("preferences/port", p.port).toInt();
    p.theme = s.value("preferences/theme", p.theme).toString();
    return p;
}

void Preferences::save() const {
    QSettings s;
    s.setValue("preferences/editor", editor);
    s.setValue("preferences/host", host);
    s.setValue("preferences/port", port);
    s.setValue("preferences/theme", theme);
}

void apply_theme(const QString& theme) {
    if (theme == "dark") {
        QPalette p;
        const QColor window(0x2b, 0x2b, 0x2b), base(0x1e, 0x1e, 0x1e), text(0xe6, 0xe6, 0xe6);
        p.setColor(QPalette::Window, window);
        p.setColor(QPalette::WindowText, text);
        p.setColor(QPalette::Base, base);
        p.setColor(QPalette::AlternateBase, window);
        p.setColor(QPalette::Text, text);
        p.setColor(QPalette::Button, window);
        p.setColor(QPalette::ButtonText, text);
        p.setColor(QPalette::ToolTipBase, base);
        p.setColor(QPalette::ToolTipText, text);
        p.setColor(QPalette::Highlight, QColor(0x3a, 0x6e, 0xc8));
        p.setColor(QPalette::HighlightedText, Qt::white);
        p.setColor(QPalette::Link, QColor(0x7a, 0xa7, 0xff));
        p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x80, 0x80));
        p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x80, 0x80, 0x80));
        QApplication::setPalette(p);
    } else if (theme == "light") {
        QPalette p(QColor(0xef, 0xef, 0xef));
        p.setColor(QPalette::Base, Qt::white);
        p.setColor(QPalette::Text, Qt::black);
        p.setColor(QPalette::WindowText, Qt::black);
        QApplication::setPalette(p);
    } else {
        QApplication::setPalette(QApplication::style()->standardPalette());
    }
}

PreferencesDialog::PreferencesDialog(const Preferences& p, QWidget* parent)
    : QDialog(parent), editor_(new QLineEdit(p.editor)), host_(new QLineEdit(p.host)), port_(new QSpinBox),
      theme_(new QComboBox) {
    setWindowTitle(tr("Preferences"));
    setObjectName("preferencesDialog");
    editor_->setObjectName("editorCommand");
    editor_->setPlaceholderText(qEnvironmentVariable("CELLO_EDITOR", tr("e.g. code -g {file}:{line}")));
    host_->setObjectName("defaultHost");
    port_->setObjectName("defaultPort");
    port_->setRange(0, 65535);
    port_->setValue(p.port);
    theme_->setObjectName("theme");
    theme_->addItem(tr("Follow the system"), "system");
    theme_->addItem(tr("Light"), "light");
    theme_->addItem(tr("Dark"), "dark");
    theme_->setCurrentIndex(std::max(0, theme_->findData(p.theme)));
    auto* form = new QFormLayout(this);
    form->addRow(tr("Editor command"), editor_);
    auto* hint = new QLabel(tr("{file} and {line} are replaced; empty: $CELLO_EDITOR, else the desktop's program for .py"));
    hint->setWordWrap(true);
    hint->setEnabled(false);
    form->addRow(QString(), hint);
    form->addRow(tr("Default host"), host_);
    form->addRow(tr("Default port"), port_);
    form->addRow(tr("Theme"), theme_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

Preferences PreferencesDialog::preferences() const {
    Preferences p;
    p.editor = editor_->text().trimmed();
    p.host = host_->text().trimmed().isEmpty() ? p.host : host_->text().trimmed();
    p.port = port_->value();
    p.theme = theme_->currentData().toString();
    return p;
}

}  // namespace cello::studio
