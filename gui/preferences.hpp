// The studio's preferences (Edit ▸ Preferences): the editor command, the host and port a new app
// starts on, and the colour theme. Kept with QSettings; the dialog edits them.
#pragma once

#include <QDialog>
#include <QString>

class QComboBox;
class QLineEdit;
class QSpinBox;

namespace cello::studio {

struct Preferences {
    QString editor;             // "code -g {file}:{line}"; empty: $CELLO_EDITOR, else the desktop's
    QString host = "127.0.0.1";
    int port = 8000;
    QString theme = "system";   // "system" (follows the desktop), "light", "dark"

    static Preferences load();
    void save() const;
};

// The palette of `theme` on the running application ("system": the style's own, which follows the
// desktop's colour scheme).
void apply_theme(const QString& theme);

class PreferencesDialog final : public QDialog {
    Q_OBJECT
public:
    explicit PreferencesDialog(const Preferences& p, QWidget* parent = nullptr);
    Preferences preferences() const;

private:
    QLineEdit* editor_;
    QLineEdit* host_;
    QSpinBox* port_;
    QComboBox* theme_;
};

}  // namespace cello::studio
