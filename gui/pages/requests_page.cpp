#include "requests_page.hpp"

#include "studio_state.hpp"

#include <QComboBox>
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

namespace cello::studio {

namespace {
constexpr const char* kGone = "(This request has left the table: newer traffic pushed it out. Its details stay here.)";
}

RequestsPage::RequestsPage(StudioState& state, QWidget* parent)
    : QWidget(parent), state_(state), table_(new QTableView), status_(new QComboBox), route_(new QComboBox),
      text_(new QLineEdit), details_(new QPlainTextEdit) {
    filter_.setSourceModel(&model_);
    table_->setObjectName("requestsTable");
    table_->setModel(&filter_);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
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
    auto* split = new QSplitter(Qt::Vertical);
    split->setObjectName("requestsSplit");  // its sizes are remembered
    split->addWidget(table_);
    split->addWidget(details_);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(filters);
    layout->addWidget(split);

    connect(status_, &QComboBox::currentIndexChanged, this, [this] { filter_.setStatusClass(status_->currentData().toInt()); });
    connect(route_, &QComboBox::currentIndexChanged, this, [this] { filter_.setRoute(route_->currentData().toString()); });
    connect(text_, &QLineEdit::textChanged, &filter_, &RequestsFilter::setText);
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
    if (!r) {
        if (shown_seq_ == 0 || !details_->toPlainText().contains(kGone)) details_->clear();
        if (!details_->toPlainText().contains(kGone)) shown_seq_ = 0;
        return;
    }
    shown_seq_ = r->seq;
    QString text;
    text += QString("%1 %2  →  %3\n").arg(QString::fromStdString(r->method), QString::fromStdString(r->path)).arg(r->status);
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
    // Captured details (the studio turns capture on), else what the error record kept.
    const auto& headers = r->has_detail ? r->headers : e ? e->headers : r->headers;
    const std::string& body = r->has_detail ? r->body_preview : e ? e->body_preview : r->body_preview;
    if (r->has_detail && !r->query.empty()) text += tr("Query: %1\n").arg(QString::fromStdString(r->query));
    if (r->has_detail || e) {
        text += "\n" + tr("Request headers:") + "\n";
        for (const auto& [name, value] : headers)
            text += "  " + QString::fromStdString(name) + ": " + QString::fromStdString(value) + "\n";
        text += "\n" + tr("Body (first %1 bytes):").arg(body.size()) + "\n";
        text += body.empty() ? tr("  (empty)") + "\n" : QString::fromUtf8(body) + "\n";
    }
    if (r->has_detail) {
        text += "\n" + tr("Response headers (besides the engine's own):") + "\n";
        for (const auto& [name, value] : r->response_headers)
            text += "  " + QString::fromStdString(name) + ": " + QString::fromStdString(value) + "\n";
    }
    if (e) {
        text += "\n" + QString::fromStdString(e->message) + "\n\n" + QString::fromStdString(e->traceback);
    } else if (r->status >= 500) {
        text += "\n" + tr("No traceback was recorded for this response.");
    } else if (!r->has_detail) {
        text += "\n" + tr("Headers and body are recorded for failed requests, or for all while detail "
                          "capture is on (the studio's own apps).");
    }
    details_->setPlainText(text);
}

}  // namespace cello::studio
