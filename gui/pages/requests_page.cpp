#include "requests_page.hpp"

#include "inspector/bench/route_url.hpp"
#include "inspector/request_export.hpp"
#include "studio_state.hpp"

#include <QComboBox>
#include <QPushButton>
#include <QNetworkReply>
#include <QNetworkAccessManager>
#include <QGuiApplication>
#include <QFileDialog>
#include <QFile>
#include <QElapsedTimer>
#include <QClipboard>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace cello::studio {

namespace {
constexpr const char* kGone = "(This request has left the table: newer traffic pushed it out. Its details stay here.)";
}

RequestsPage::RequestsPage(StudioState& state, QWidget* parent)
    : QWidget(parent), state_(state), table_(new QTableView), status_(new QComboBox), route_(new QComboBox),
      text_(new QLineEdit), details_(new QPlainTextEdit), curl_(new QPushButton(tr("Copy as curl"))),
      replay_(new QPushButton(tr("Replay"))), har_(new QPushButton(tr("Export HAR…"))), net_(new QNetworkAccessManager(this)) {
    filter_.setSourceModel(&model_);
    table_->setObjectName("requestsTable");
    table_->setModel(&filter_);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);  // several: a HAR of them
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(20);
    table_->setSortingEnabled(true);  // newest last until a header is clicked
    table_->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    filter_.sort(-1);
    status_->setObjectName("statusFilter");
    status_->addItem(tr("Any status"), 0);
    for (int c = 2; c <= 5; ++c) status_->addItem(QString("%1xx").arg(c), c);
    route_->setObjectName("routeFilter");
    route_->addItem(tr("Any route"), QString());
    route_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    text_->setObjectName("textFilter");
    text_->setPlaceholderText(tr("Filter by path"));
    text_->setClearButtonEnabled(true);
    details_->setObjectName("requestDetails");
    details_->setReadOnly(true);
    details_->setPlaceholderText(tr("Select a request"));
    details_->setFont(QFont("monospace"));

    auto* filters = new QHBoxLayout;
    filters->addWidget(new QLabel(tr("Show")));
    filters->addWidget(status_);
    filters->addWidget(route_);
    filters->addWidget(text_, 1);
    curl_->setObjectName("copyCurl");
    replay_->setObjectName("replayRequest");
    har_->setObjectName("exportHar");
    curl_->setToolTip(tr("Copy a curl command that sends this request again"));
    replay_->setToolTip(tr("Send this request to the server again"));
    har_->setToolTip(tr("Save the selected requests as a HAR file (browsers' network tabs import it)"));
    for (QPushButton* b : {curl_, replay_, har_}) b->setEnabled(false);
    auto* actions = new QHBoxLayout;
    actions->addStretch();
    actions->addWidget(curl_);
    actions->addWidget(replay_);
    actions->addWidget(har_);
    auto* below = new QWidget;
    auto* below_layout = new QVBoxLayout(below);
    below_layout->setContentsMargins(0, 0, 0, 0);
    below_layout->addLayout(actions);
    below_layout->addWidget(details_);
    auto* split = new QSplitter(Qt::Vertical);
    split->setObjectName("requestsSplit");  // its sizes are remembered
    split->addWidget(table_);
    split->addWidget(below);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(filters);
    layout->addWidget(split);

    connect(curl_, &QPushButton::clicked, this, &RequestsPage::copyAsCurl);
    connect(replay_, &QPushButton::clicked, this, &RequestsPage::replay);
    connect(har_, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export HAR"), "requests.har", tr("HAR files (*.har)"));
        QString why;
        if (!path.isEmpty() && !exportHar(path, &why)) Q_EMIT said(tr("Could not export: %1").arg(why));
    });
    connect(status_, &QComboBox::currentIndexChanged, this, [this] { filter_.setStatusClass(status_->currentData().toInt()); });
    connect(route_, &QComboBox::currentIndexChanged, this, [this] { filter_.setRoute(route_->currentData().toString()); });
    connect(text_, &QLineEdit::textChanged, &filter_, &RequestsFilter::setText);
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            [this] { har_->setEnabled(!selectedRows().empty()); });
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
        if (!refreshing_) {
            showDetails(current);
            return;
        }
        // The selected request was pushed out of the table by newer traffic, and Qt moved the
        // selection to whatever row took its place: keep showing the request that was chosen.
        if (shown_seq_ == 0) return;
        QMetaObject::invokeMethod(this, [this] { table_->selectionModel()->clear(); }, Qt::QueuedConnection);
        if (!details_->toPlainText().contains(kGone)) details_->appendPlainText("\n" + tr(kGone));
    });
    connect(table_->verticalScrollBar(), &QScrollBar::valueChanged, this,
            [this](int v) { follow_ = v == table_->verticalScrollBar()->maximum(); });
    connect(&state, &StudioState::updated, this, [this](const inspector::LiveView::Delta& d) {
        // Rows dropped from the top move the view (and the current row): following the newest
        // rows is decided before, not by where the removal left the scroll bar.
        const bool follow = follow_;
        refreshing_ = true;
        model_.refresh(state_.view(), d);
        refreshing_ = false;
        follow_ = follow;
        if (d.new_requests || d.new_errors) refreshRoutes();
        if (follow_) table_->scrollToBottom();
    });
    connect(&state, &StudioState::reset, this, [this] {
        model_.clear();
        details_->clear();
    });
}

void RequestsPage::refreshRoutes() {
    for (const auto& r : state_.view().latest().routes) {
        if (r.info.id == inspector::kUnmatchedRoute) continue;
        const QString label = QString::fromStdString(r.info.label());
        if (route_->findData(label) < 0) route_->addItem(label, label);
    }
}

QString RequestsPage::details() const { return details_->toPlainText(); }

void RequestsPage::showDetails(const QModelIndex& proxy_index) {
    const auto* r = model_.row(filter_.mapToSource(proxy_index).row());
    for (QPushButton* b : {curl_, replay_}) b->setEnabled(r && r->has_detail);
    har_->setEnabled(!selectedRows().empty());
    if (!r) {
        if (shown_seq_ == 0 || !details_->toPlainText().contains(kGone)) details_->clear();
        if (!details_->toPlainText().contains(kGone)) shown_seq_ = 0;
        return;
    }
    shown_seq_ = r->seq;
    const QString target = QString::fromStdString(r->target.empty() ? r->path : r->target);
    QString text;
    text += QString("%1 %2  →  %3\n").arg(QString::fromStdString(r->method), target).arg(r->status);
    text += tr("Route: %1\n").arg(r->route.empty() ? tr("(none matched)") : QString::fromStdString(r->route));
    text += tr("At %1, engine thread %2\n")
                .arg(QDateTime::fromMSecsSinceEpoch(r->time_ns / 1'000'000).toString("yyyy-MM-dd HH:mm:ss.zzz"))
                .arg(r->thread);
    text += tr("Latency %1 ms (handler %2 ms), cache %3, %4 bytes received, %5 bytes sent\n")
                .arg(static_cast<double>(r->latency_ns) / 1e6, 0, 'f', 3)
                .arg(static_cast<double>(r->handler_ns) / 1e6, 0, 'f', 3)
                .arg(QString::fromStdString(r->cache))
                .arg(r->bytes_in)
                .arg(r->bytes_out);
    const auto* e = state_.view().error_for(*r);
    // A failed request: what went wrong comes first.
    if (e) {
        text += "\n" + QString::fromStdString(e->message) + "\n\n" + QString::fromStdString(e->traceback).trimmed() + "\n";
    } else if (r->status >= 500) {
        text += "\n" + tr("No traceback was recorded for this response.") + "\n";
    }
    text += queriesAndLogs(*r);
    // Captured details (the studio turns capture on), else what the error record kept.
    const auto& headers = r->has_detail ? r->headers : e ? e->headers : r->headers;
    const std::string& body = r->has_detail ? r->body_preview : e ? e->body_preview : r->body_preview;
    if (r->has_detail && !r->query.empty()) text += tr("Query: %1\n").arg(QString::fromStdString(r->query));
    if (r->has_detail || e) {
        text += "\n" + tr("Request headers:") + "\n";
        for (const auto& [name, value] : headers)
            text += "  " + QString::fromStdString(name) + ": " + QString::fromStdString(value) + "\n";
        text += "\n" + tr("Request body (first %1 bytes):").arg(body.size()) + "\n";
        text += body.empty() ? tr("  (empty)") + "\n" : QString::fromUtf8(body) + "\n";
    }
    if (r->has_detail) {
        text += "\n" + tr("Response headers (besides the engine's own):") + "\n";
        for (const auto& [name, value] : r->response_headers)
            text += "  " + QString::fromStdString(name) + ": " + QString::fromStdString(value) + "\n";
        const auto view = inspector::body_view(r->response_preview, inspector::header_value(r->response_headers, "Content-Type"));
        static const char* kinds[] = {"empty", "JSON", "text", "binary"};
        QString about;
        if (r->response_streamed)
            about = tr("streamed: not recorded");
        else if (r->response_preview.size() < r->response_size)
            about = tr("%1 bytes, %2; the first %3 shown").arg(r->response_size).arg(tr(kinds[view.kind])).arg(r->response_preview.size());
        else
            about = tr("%1 bytes, %2").arg(r->response_size).arg(tr(kinds[view.kind]));
        text += "\n" + tr("Response body (%1):").arg(about) + "\n";
        if (!view.text.empty()) text += QString::fromStdString(view.text) + "\n";
    } else if (!e) {
        text += "\n" + tr("Headers and bodies are recorded for failed requests, or for all while detail "
                          "capture is on (the studio's own apps).");
    }
    details_->setPlainText(text);
}

QString RequestsPage::queriesAndLogs(const inspector::RequestRow& r) {
    QString text;
    const auto ms = [](std::int64_t ns) { return QString::number(static_cast<double>(ns) / 1e6, 'f', 3); };
    if (r.db_queries) {
        text += "\n" + (r.db_queries == 1 ? tr("Database: 1 query, %1 ms").arg(ms(r.db_ns))
                                            : tr("Database: %1 queries, %2 ms").arg(r.db_queries).arg(ms(r.db_ns)));
        if (r.db_repeats >= inspector::kNPlusOneRepeats)
            text += tr(" (N+1: one statement ran %1 times; load the rows in one query)").arg(r.db_repeats);
        text += "\n";
        for (std::size_t i = 0; i < r.queries.size(); ++i) {
            const auto& q = r.queries[i];
            const QString outcome = !q.error.empty() ? QString::fromStdString(q.error)
                                    : q.rows == 1    ? tr("1 row")
                                                     : tr("%1 rows").arg(q.rows);
            text += QString("  %1. at %2 ms, %3 ms, %4\n     %5\n")
                        .arg(i + 1)
                        .arg(ms(q.start_ns), ms(q.duration_ns), outcome, QString::fromStdString(q.sql));
        }
        if (r.has_detail && r.queries.size() < r.db_queries)
            text += "  " + tr("(%1 more not recorded)").arg(r.db_queries - r.queries.size()) + "\n";
    }
    if (!r.logs.empty()) {
        text += "\n" + tr("Log lines:") + "\n";
        for (const auto& l : r.logs) {
            const char* level = l.level >= 50 ? "CRITICAL" : l.level >= 40 ? "ERROR" : l.level >= 30 ? "WARNING"
                              : l.level >= 20 ? "INFO" : "DEBUG";
            text += QString("  at %1 ms %2 %3: %4\n")
                        .arg(ms(l.start_ns), level, QString::fromStdString(l.logger), QString::fromStdString(l.message));
        }
        if (r.logs.size() < r.logs_total)
            text += "  " + tr("(%1 more not recorded)").arg(r.logs_total - r.logs.size()) + "\n";
    }
    return text;
}

const inspector::RequestRow* RequestsPage::shownRow() const {
    for (const auto& r : state_.view().requests())
        if (r.seq == shown_seq_) return &r;
    return nullptr;
}

std::vector<const inspector::RequestRow*> RequestsPage::selectedRows() const {
    std::vector<const inspector::RequestRow*> rows;
    if (!table_->selectionModel()) return rows;
    for (const auto& index : table_->selectionModel()->selectedRows())
        if (const auto* r = model_.row(filter_.mapToSource(index).row())) rows.push_back(r);
    std::sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) { return a->seq < b->seq; });
    return rows;
}

QString RequestsPage::baseUrl() const {
    const auto& s = state_.view().latest();
    if (s.server_port == 0) return {};
    const std::string url = inspector::bench::bench_url(s.server_host, s.server_port, "/");
    return QString::fromStdString(url.substr(0, url.size() - 1));  // without the path's "/"
}

QString RequestsPage::copyAsCurl() {
    const auto* r = shownRow();
    if (!r || baseUrl().isEmpty()) return {};
    const QString curl = QString::fromStdString(inspector::curl_command(*r, baseUrl().toStdString()));
    QGuiApplication::clipboard()->setText(curl);
    Q_EMIT said(tr("Copied %1").arg(curl));
    return curl;
}

bool RequestsPage::replay() {
    const auto* r = shownRow();
    if (!r || !r->has_detail || baseUrl().isEmpty()) return false;
    QNetworkRequest req(QUrl(baseUrl() + QString::fromStdString(r->target.empty() ? r->path : r->target)));
    for (const auto& [name, value] : r->headers) {
        if (!inspector::resent_header(name)) continue;
        req.setRawHeader(QByteArray::fromStdString(name), QByteArray::fromStdString(value));
    }
    const QString what = QString("%1 %2").arg(QString::fromStdString(r->method), req.url().path());
    auto* clock = new QElapsedTimer;
    clock->start();
    QNetworkReply* reply = net_->sendCustomRequest(req, QByteArray::fromStdString(r->method), QByteArray::fromStdString(r->body_preview));
    connect(reply, &QNetworkReply::finished, this, [this, reply, clock, what] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        Q_EMIT said(status ? tr("Replayed %1: %2 in %3 ms (it is the newest row)").arg(what).arg(status).arg(clock->nsecsElapsed() / 1e6, 0, 'f', 1)
                           : tr("Replaying %1 failed: %2").arg(what, reply->errorString()));
        delete clock;
        reply->deleteLater();
    });
    return true;
}

bool RequestsPage::exportHar(const QString& path, QString* error) const {
    const auto rows = selectedRows();
    if (rows.empty()) {
        if (error) *error = tr("no request selected");
        return false;
    }
    QFile f(path);
    const std::string har = inspector::har_json(rows, baseUrl().toStdString(), CELLO_VERSION);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(har.data(), static_cast<qint64>(har.size())) < 0) {
        if (error) *error = f.errorString();
        return false;
    }
    return true;
}

}  // namespace cello::studio
