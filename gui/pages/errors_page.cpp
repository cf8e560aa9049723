#include "errors_page.hpp"

#include "source_opener.hpp"
#include "studio_state.hpp"
#include "table_filter.hpp"
#include "table_view_style.hpp"

#include <QCheckBox>
#include <QCoreApplication>
#include <QDateTime>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace cello::studio {

namespace {

QString when(std::int64_t ns) {
    return QDateTime::fromMSecsSinceEpoch(ns / 1'000'000).toString("yyyy-MM-dd HH:mm:ss.zzz");
}

QString pre(const std::string& text, const char* color = nullptr) {
    const QString style = color ? QString(" style='color:%1'").arg(color) : QString();
    return QString("<pre%1>%2</pre>").arg(style, QString::fromStdString(text).toHtmlEscaped());
}

// "1 failure", "3 failures" (no translation files: Qt's %n plurals would print "failure(s)").
QString count_of(std::uint64_t n, const char* one, const char* many) {
    return QString("%1 %2").arg(n).arg(QCoreApplication::translate("ErrorsPage", n == 1 ? one : many));
}

}  // namespace

ErrorsPage::ErrorsPage(StudioState& state, QWidget* parent)
    : QWidget(parent), state_(state), summary_(new QLabel),
      framework_(new QCheckBox(tr("Show framework frames"))), table_(new QTableView), details_(new QTextBrowser) {
    table_->setObjectName("errorGroupsTable");
    auto* filter = make_filter_box(table_);
    filter->setPlaceholderText(tr("Filter groups"));
    sorted_ = sort_and_filter(table_, &model_, filter);
    style_read_only_table(table_);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->sortByColumn(ErrorGroupsModel::LastSeen, Qt::DescendingOrder);  // the latest failure first
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    table_->setColumnWidth(ErrorGroupsModel::Exception, 150);
    table_->setColumnWidth(ErrorGroupsModel::Where, 200);
    table_->setColumnWidth(ErrorGroupsModel::Count, 60);
    table_->setColumnWidth(ErrorGroupsModel::Routes, 160);
    table_->setToolTip(tr("Double-click a group to open where it failed"));
    summary_->setObjectName("errorsSummary");
    summary_->setWordWrap(true);
    framework_->setObjectName("showFrameworkFrames");
    details_->setObjectName("errorTraceback");
    details_->setOpenLinks(false);
    details_->setPlaceholderText(tr("Select a group to see its latest traceback"));
    auto* clear = new QPushButton(tr("Clear"));
    clear->setObjectName("clearErrors");
    clear->setToolTip(tr("Forget the failures seen so far"));

    auto* bar = new QHBoxLayout;
    bar->addWidget(summary_, 1);
    bar->addWidget(filter);
    bar->addWidget(framework_);
    bar->addWidget(clear);
    auto* split = new QSplitter(Qt::Vertical);
    split->setObjectName("errorsSplit");  // its sizes are remembered
    split->addWidget(table_);
    split->addWidget(details_);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(split);

    connect(&state, &StudioState::errorsChanged, this, &ErrorsPage::refresh);
    connect(clear, &QPushButton::clicked, &state, &StudioState::clearErrors);
    connect(framework_, &QCheckBox::toggled, this, &ErrorsPage::showGroup);
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ErrorsPage::showGroup);
    connect(details_, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) { followLink(url.toString()); });
    connect(table_, &QTableView::doubleClicked, this, [this](const QModelIndex&) {
        const auto* g = model_.group(selectedGroup());
        if (!g) return;
        if (g->file.empty()) {
            Q_EMIT sourceOpened(false, tr("This failure has no traceback to open"));
            return;
        }
        const auto opened = open_source(QString::fromStdString(g->file), g->line);
        Q_EMIT sourceOpened(opened.ok, opened.message);
    });
    refresh();
}

int ErrorsPage::selectedGroup() const {
    const QModelIndex current = table_->selectionModel()->currentIndex();
    return current.isValid() ? sorted_->data(current, ErrorGroupsModel::kGroupRole).toInt() : -1;
}

void ErrorsPage::selectGroup(int group) {
    const QModelIndex at = sorted_->mapFromSource(model_.index(group, 0));
    table_->selectionModel()->setCurrentIndex(at, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void ErrorsPage::refresh() {
    const auto& groups = state_.errorGroups();
    model_.refresh(groups);
    QString text;
    if (groups.total() == 0)
        text = tr("No failures yet. Every failed request of this session is kept here, grouped.");
    else
        text = tr("%1 in %2").arg(count_of(groups.total(), "failure", "failures"),
                                  count_of(groups.groups().size(), "group", "groups"));
    if (groups.ungrouped())
        text += " " + tr("(%1 of them in further groups not shown: more than %2 kinds)")
                          .arg(groups.ungrouped())
                          .arg(groups.groups().size());
    if (groups.unrecorded())
        text += ". " + tr("%1 more failed while too many arrived at once: counted by the server, not "
                          "recorded (see the Routes page's 5xx column)")
                           .arg(groups.unrecorded());
    summary_->setText(text);
    if (selectedGroup() < 0 && model_.rowCount() > 0 && shown_group_ < 0) {
        selectGroup(static_cast<int>(groups.groups().size()) - 1);  // the first failure: show it at once
        return;
    }
    showGroup();
}

void ErrorsPage::showGroup() {
    const int index = selectedGroup();
    const auto* g = model_.group(index);
    if (!g) {
        shown_group_ = -1;
        details_->clear();
        return;
    }
    if (index == shown_group_ && g->count == shown_count_ && framework_->isChecked() == shown_framework_) return;
    shown_group_ = index;
    shown_count_ = g->count;
    shown_framework_ = framework_->isChecked();
    shown_ = inspector::parse_traceback(g->latest.traceback, state_.errorGroups().framework_dirs());

    const auto& e = g->latest;
    QString html = QString("<h3 style='color:#b00020'>%1</h3>").arg(QString::fromStdString(e.message).toHtmlEscaped());
    html += QString("<p><b>%1 %2</b> → %3 at %4<br>")
                .arg(QString::fromStdString(e.method), QString::fromStdString(e.path).toHtmlEscaped())
                .arg(e.status)
                .arg(when(std::max(e.last_ns, e.time_ns)));
    QStringList routes;
    for (const auto& r : g->routes) routes << QString::fromStdString(r).toHtmlEscaped();
    html += tr("%1 since %2, on %3").arg(count_of(g->count, "time", "times"), when(g->first_ns), routes.join(", ")) +
            "</p>";
    if (shown_.parts.empty()) html += "<p>" + tr("No traceback was recorded for this failure.") + "</p>";
    int folded = 0;
    QStringList folded_files;
    const auto flush_folded = [&] {
        if (!folded) return;
        html += QString("<p style='color:gray'>&nbsp;&nbsp;… %1 (%2) <a href='fold'>%3</a></p>")
                    .arg(count_of(static_cast<std::uint64_t>(folded), "framework frame", "framework frames"), folded_files.join(", ").toHtmlEscaped(), tr("show"));
        folded = 0;
        folded_files.clear();
    };
    for (std::size_t i = 0; i < shown_.parts.size(); ++i) {
        const auto& part = shown_.parts[i];
        if (!part.is_frame) {
            flush_folded();
            html += pre(part.text);
            continue;
        }
        const auto& f = part.frame;
        if (f.framework && !shown_framework_) {
            ++folded;
            const QString name = QFileInfo(QString::fromStdString(f.file)).fileName();
            if (folded_files.size() < 3 && !folded_files.contains(name)) folded_files << name;
            continue;
        }
        flush_folded();
        const QString where = QString("%1:%2").arg(QString::fromStdString(f.file).toHtmlEscaped()).arg(f.line);
        const QString fn = QString::fromStdString(f.function).toHtmlEscaped();
        if (f.framework)
            html += QString("<p style='color:gray; margin:0'>&nbsp;&nbsp;%1 in %2</p>").arg(where, fn);
        else
            html += QString("<p style='margin:0'>&nbsp;&nbsp;<a href='frame:%1'>%2</a> in <b>%3</b></p>").arg(i).arg(where, fn);
        if (!f.code.empty()) html += pre(f.code, f.framework ? "gray" : nullptr);
    }
    flush_folded();
    details_->setHtml(html);
}

void ErrorsPage::followLink(const QString& link) {
    if (link == "fold") {
        framework_->setChecked(true);
        return;
    }
    if (!link.startsWith("frame:")) return;
    const auto i = static_cast<std::size_t>(link.mid(6).toULongLong());
    if (i >= shown_.parts.size() || !shown_.parts[i].is_frame) return;
    const auto& f = shown_.parts[i].frame;
    const auto opened = open_source(QString::fromStdString(f.file), f.line);
    Q_EMIT sourceOpened(opened.ok, opened.message);
}

QString ErrorsPage::summary() const { return summary_->text(); }

QString ErrorsPage::traceback() const { return details_->toPlainText(); }

}  // namespace cello::studio
