#include "console_page.hpp"

#include "studio_state.hpp"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QVBoxLayout>

namespace cello::studio {

ConsolePage::ConsolePage(StudioState& state, QWidget* parent)
    : QWidget(parent), state_(state), log_(new QPlainTextEdit), search_(new QLineEdit), source_(new QComboBox),
      level_(new QComboBox), pause_(new QPushButton(tr("Pause"))), paused_note_(new QLabel) {
    log_->setObjectName("consoleLog");
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(static_cast<int>(kMaxLines));
    log_->setFont(QFont("monospace"));
    search_->setObjectName("consoleSearch");
    search_->setPlaceholderText(tr("Search"));
    search_->setClearButtonEnabled(true);
    source_->setObjectName("consoleSource");
    source_->addItem(tr("All sources"), -1);
    source_->addItem(tr("App output"), static_cast<int>(LineSource::App));
    source_->addItem(tr("Request log"), static_cast<int>(LineSource::Requests));
    source_->addItem(tr("Cello"), static_cast<int>(LineSource::Cello));
    source_->addItem(tr("Studio"), static_cast<int>(LineSource::Studio));
    level_->setObjectName("consoleLevel");
    level_->addItem(tr("All levels"), static_cast<int>(LineLevel::Info));
    level_->addItem(tr("Warnings and errors"), static_cast<int>(LineLevel::Warning));
    level_->addItem(tr("Errors"), static_cast<int>(LineLevel::Error));
    pause_->setObjectName("consolePause");
    pause_->setCheckable(true);
    pause_->setToolTip(tr("Stop scrolling in new lines; they are kept and shown on resume"));
    paused_note_->setObjectName("consolePausedNote");
    auto* save = new QPushButton(tr("Save…"));
    save->setToolTip(tr("Save every line kept to a text file"));
    save->setObjectName("consoleSave");
    auto* clear = new QPushButton(tr("Clear"));
    clear->setObjectName("consoleClear");
    auto* bar = new QHBoxLayout;
    bar->addWidget(search_, 1);
    bar->addWidget(source_);
    bar->addWidget(level_);
    bar->addWidget(paused_note_);
    bar->addWidget(pause_);
    bar->addWidget(save);
    bar->addWidget(clear);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(log_);

    connect(search_, &QLineEdit::textChanged, this, [this] { rebuild(); });
    connect(source_, &QComboBox::currentIndexChanged, this, [this] { rebuild(); });
    connect(level_, &QComboBox::currentIndexChanged, this, [this] { rebuild(); });
    connect(pause_, &QPushButton::toggled, this, &ConsolePage::setPaused);
    connect(clear, &QPushButton::clicked, this, [this] {
        entries_.clear();
        waiting_ = 0;
        log_->clear();
        showWaiting();
    });
    connect(save, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save the Console"), "cello-console.txt");
        QString why;
        if (!path.isEmpty() && !saveTo(path, &why)) append(tr("Could not save the Console: %1").arg(why), "error");
    });
    // Attached: what the remote server's output would have said, from its inspector.
    connect(&state, &StudioState::updated, this, [this](const inspector::LiveView::Delta& d) {
        if (!remote_events_) return;
        const auto& reloads = state_.view().reloads();
        for (auto it = reloads.end() - static_cast<std::ptrdiff_t>(std::min(d.new_reloads, reloads.size()));
             it != reloads.end(); ++it) {
            if (it->ok)
                append(tr("server: reloaded %1 routes in %2 ms").arg(it->routes).arg(it->duration_ms, 0, 'f', 1));
            else
                append(tr("server: reload FAILED after %1 ms; still serving the previous code:\n%2")
                           .arg(it->duration_ms, 0, 'f', 1)
                           .arg(QString::fromStdString(it->error).trimmed()),
                       "error");
        }
        const auto& errors = state_.view().errors();
        for (auto it = errors.end() - static_cast<std::ptrdiff_t>(std::min(d.new_errors, errors.size())); it != errors.end();
             ++it)
            append(tr("server: %1 %2 → %3: %4%5 (its traceback: Errors page)")
                       .arg(QString::fromStdString(it->method), QString::fromStdString(it->path))
                       .arg(it->status)
                       .arg(QString::fromStdString(it->message))
                       .arg(it->count > 1 ? tr(", and %1 more like it").arg(it->count - 1) : QString()),
                   "error");
    });
}

void ConsolePage::appendOutput(const QString& text) {
    const QDateTime now = QDateTime::currentDateTime();
    QString html;  // one appendHtml for the batch: one layout pass, however many lines came
    for (const auto& line : text.split('\n')) {
        QString plain = strip_ansi(line);
        const ConsoleLine kind = classifier_.classify(plain);
        html += add({now, kind, std::move(plain), ansi_to_html(line)});
    }
    if (!html.isEmpty()) log_->appendHtml(html);
}

void ConsolePage::append(const QString& line, const QString& kind) {
    const QDateTime now = QDateTime::currentDateTime();
    const LineLevel level = kind == "error" ? LineLevel::Error : LineLevel::Info;
    QString html;
    for (const auto& l : line.split('\n')) html += add({now, {LineSource::Studio, level}, l, l.toHtmlEscaped()});
    if (!html.isEmpty()) log_->appendHtml(html);
}

QString ConsolePage::add(Entry e) {
    entries_.push_back(std::move(e));
    if (entries_.size() > kMaxLines) entries_.pop_front();
    if (paused_) {
        waiting_ = std::min(waiting_ + 1, entries_.size());
        showWaiting();
        return {};
    }
    return shown(entries_.back()) ? "<p>" + render(entries_.back()) + "</p>" : QString();
}

bool ConsolePage::shown(const Entry& e) const {
    const int source = source_->currentData().toInt();
    if (source >= 0 && static_cast<int>(e.kind.source) != source) return false;
    if (static_cast<int>(e.kind.level) < level_->currentData().toInt()) return false;
    return search_->text().isEmpty() || e.plain.contains(search_->text(), Qt::CaseInsensitive);
}

QString ConsolePage::render(const Entry& e) const {
    // The request log in a neutral grey unless it reports a failure; errors red, warnings amber,
    // the studio's own lines blue; the app's own colours kept.
    QString color;
    if (e.kind.level == LineLevel::Error) color = "#b00020";
    else if (e.kind.level == LineLevel::Warning) color = "#8a4b00";
    else if (e.kind.source == LineSource::Requests) color = "#707070";
    else if (e.kind.source == LineSource::Studio) color = "#3050a0";
    const QString style = color.isEmpty() ? QString("white-space:pre") : QString("white-space:pre; color:%1").arg(color);
    return QString("<span style='color:gray'>%1</span> <span style='%2'>%3</span>")
        .arg(e.time.toString("HH:mm:ss"), style, e.html);
}

void ConsolePage::rebuild() {
    QString html;
    const std::size_t visible = entries_.size() - waiting_;
    for (std::size_t i = 0; i < visible; ++i)
        if (shown(entries_[i])) html += "<p>" + render(entries_[i]) + "</p>";
    log_->clear();
    if (!html.isEmpty()) log_->appendHtml(html);  // one layout pass for the lot
    log_->verticalScrollBar()->setValue(log_->verticalScrollBar()->maximum());
}

void ConsolePage::setSearch(const QString& text) { search_->setText(text); }

void ConsolePage::setSource(int source) { source_->setCurrentIndex(std::max(0, source_->findData(source))); }

void ConsolePage::setMinimumLevel(LineLevel level) { level_->setCurrentIndex(level_->findData(static_cast<int>(level))); }

void ConsolePage::setPaused(bool paused) {
    if (pause_->isChecked() != paused) {
        pause_->setChecked(paused);  // comes back here through toggled()
        return;
    }
    paused_ = paused;
    pause_->setText(paused ? tr("Resume") : tr("Pause"));
    if (!paused && waiting_ > 0) {
        QString html;
        for (std::size_t i = entries_.size() - waiting_; i < entries_.size(); ++i)
            if (shown(entries_[i])) html += "<p>" + render(entries_[i]) + "</p>";
        waiting_ = 0;
        if (!html.isEmpty()) log_->appendHtml(html);
    }
    showWaiting();
}

void ConsolePage::showWaiting() {
    paused_note_->setText(paused_ ? tr("paused, %1 new lines").arg(waiting_) : QString());
}

QString ConsolePage::text() const {
    QStringList lines;
    for (const auto& e : entries_) lines << e.time.toString("HH:mm:ss") + " " + e.plain;
    return lines.join('\n');
}

QString ConsolePage::shownText() const { return log_->toPlainText(); }

bool ConsolePage::saveTo(const QString& path, QString* error) const {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text) || f.write((text() + "\n").toUtf8()) < 0) {
        if (error) *error = f.errorString();
        return false;
    }
    return true;
}

}  // namespace cello::studio
