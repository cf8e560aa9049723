#include "console_page.hpp"

#include "studio_state.hpp"

#include <QDateTime>
#include <QRegularExpression>
#include <QHBoxLayout>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace cello::studio {

ConsolePage::ConsolePage(StudioState& state, QWidget* parent) : QWidget(parent), state_(state), log_(new QPlainTextEdit) {
    log_->setObjectName("consoleLog");
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(20000);  // bounded, like everything the studio keeps
    log_->setFont(QFont("monospace"));
    auto* clear = new QPushButton(tr("Clear"));
    auto* bar = new QHBoxLayout;
    bar->addStretch();
    bar->addWidget(clear);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(log_);
    layout->addLayout(bar);
    connect(clear, &QPushButton::clicked, log_, &QPlainTextEdit::clear);
    connect(&state, &StudioState::updated, this, [this](const inspector::LiveView::Delta& d) {
        const auto& reloads = state_.view().reloads();
        for (auto it = reloads.end() - static_cast<std::ptrdiff_t>(std::min(d.new_reloads, reloads.size()));
             it != reloads.end(); ++it) {
            if (it->ok)
                append(tr("reload: %1 routes in %2 ms").arg(it->routes).arg(it->duration_ms, 0, 'f', 1), "reload");
            else
                append(tr("reload FAILED after %1 ms; still serving the previous code:\n%2")
                           .arg(it->duration_ms, 0, 'f', 1)
                           .arg(QString::fromStdString(it->error).trimmed()),
                       "error");
        }
        const auto& errors = state_.view().errors();
        for (auto it = errors.end() - static_cast<std::ptrdiff_t>(std::min(d.new_errors, errors.size())); it != errors.end();
             ++it)
            append(tr("error: %1 %2 → %3: %4%5 (Errors page: its traceback)")
                       .arg(QString::fromStdString(it->method), QString::fromStdString(it->path))
                       .arg(it->status)
                       .arg(QString::fromStdString(it->message))
                       .arg(it->count > 1 ? tr(", and %1 more like it").arg(it->count - 1) : QString()),
                   "error");
    });
}

void ConsolePage::append(const QString& line, const QString& kind) {
    QString color = "inherit";
    if (kind == "err") color = "#8a4b00";
    else if (kind == "reload") color = "#1d6f2b";
    else if (kind == "error") color = "#b00020";
    else if (kind == "studio") color = "#3050a0";
    const QString stamp = QDateTime::currentDateTime().toString("HH:mm:ss");
    // One paragraph per line, all in one appendHtml: a batch of captured output is one layout pass.
    // Terminal colour and cursor codes (ESC [ ... letter) from the app's output are not text.
    static const QRegularExpression ansi("\x1b\\[[0-9;?]*[A-Za-z]");
    QString html;
    for (const auto& l : QString(line).remove(ansi).split('\n'))
        html += QString("<p><span style='color:gray'>%1</span> <span style='color:%2; white-space:pre'>%3</span></p>")
                    .arg(stamp, color, l.toHtmlEscaped());
    log_->appendHtml(html);
}

QString ConsolePage::text() const { return log_->toPlainText(); }

}  // namespace cello::studio
