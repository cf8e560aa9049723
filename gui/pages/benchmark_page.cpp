#include "benchmark_page.hpp"

#include "inspector/live_view.hpp"
#include "run_charts.hpp"
#include "table_filter.hpp"

#include <QEventLoop>
#include <QJsonObject>
#include <QJsonDocument>
#include <QJsonArray>
#include <QTimer>

#include "bench_runner.hpp"
#include "inspector/bench/bench_export.hpp"
#include "inspector/bench/route_url.hpp"
#include "inspector/loadgen/report.hpp"
#include "studio_state.hpp"

#include <QChart>
#include <QChartView>
#include <QBarCategoryAxis>
#include <QBarSet>
#include <QBarSeries>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSaveFile>
#include <QSpinBox>
#include <QRegularExpression>
#include <QSettings>
#include <QColor>
#include <QTableWidget>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace cello::studio {

namespace lg = inspector::loadgen;
namespace bench = inspector::bench;

namespace {

constexpr int kPatternRole = Qt::UserRole + 1;
constexpr int kMethodRole = Qt::UserRole + 2;

double ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

// A report's latency histogram, for the distribution chart.
RunCharts::Histogram histogram_of(const std::string& report_json, const QString& name) {
    const QJsonObject report = QJsonDocument::fromJson(QByteArray::fromStdString(report_json)).object();
    RunCharts::Histogram h{name, {}};
    for (const auto& b : report.value("histogram").toObject().value("buckets").toArray())
        h.buckets.emplace_back(static_cast<std::int64_t>(b.toObject().value("lower_ns").toDouble()),
                               static_cast<std::uint64_t>(b.toObject().value("count").toDouble()));
    return h;
}

// A second with no answer has no latency: the chart's lines break there.
std::optional<double> latency_ms(std::uint64_t answered, std::int64_t ns) {
    return answered > 0 ? std::optional<double>(ms(ns)) : std::nullopt;
}

bool write_file(const QString& file, const std::string& text, QString* error) {
    QSaveFile f(file);
    if (!f.open(QIODevice::WriteOnly) ||
        f.write(text.data(), static_cast<qint64>(text.size())) != static_cast<qint64>(text.size()) || !f.commit()) {
        if (error) *error = f.errorString();
        return false;
    }
    return true;
}

}  // namespace

BenchmarkPage::BenchmarkPage(StudioState& state, QWidget* parent)
    : QWidget(parent), state_(state), runner_(new BenchRunner(this)), route_(new QComboBox), url_(new QLineEdit),
      method_(new QComboBox), body_(new QLineEdit), connections_(new QSpinBox), threads_(new QSpinBox),
      duration_(new QDoubleSpinBox), rate_(new QDoubleSpinBox), ceiling_(new QCheckBox(tr("Find the ceiling"))),
      run_(new QPushButton(tr("Run"))), stop_(new QPushButton(tr("Stop"))), status_(new QLabel),
      summary_(new QPlainTextEdit), charts_(std::make_unique<RunCharts>()), table_(new QTableView), compare_(new QTableView), export_json_(new QPushButton(tr("Export JSON…"))),
      export_csv_(new QPushButton(tr("Export CSV…"))), remove_(new QPushButton(tr("Delete"))) {
    setObjectName("benchmarkPage");
    auto* top = new QSplitter(Qt::Horizontal);
    top->setObjectName("benchTopSplit");  // its sizes are remembered
    top->addWidget(buildForm());
    top->addWidget(buildCharts());
    top->setStretchFactor(1, 1);
    top->setSizes({430, 770});
    auto* split = new QSplitter(Qt::Vertical);
    split->setObjectName("benchSplit");  // its sizes are remembered
    split->addWidget(top);
    split->addWidget(buildHistory());
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);

    connect(runner_, &BenchRunner::second, this, &BenchmarkPage::onSecond);
    connect(runner_, &BenchRunner::step, this, &BenchmarkPage::onStep);
    connect(runner_, &BenchRunner::finished, this, &BenchmarkPage::onFinished);
    connect(runner_, &BenchRunner::ceilingFinished, this, &BenchmarkPage::onCeilingFinished);
    connect(runner_, &BenchRunner::failed, this, [this](const QString& why) {
        setStatus(tr("The ceiling search failed: %1").arg(why));
        syncButtons();
        Q_EMIT runEnded();
    });
    connect(&state_, &StudioState::updated, this, &BenchmarkPage::refreshRoutes);
    connect(&state_, &StudioState::reset, this, &BenchmarkPage::refreshRoutes);

    openHistory(defaultHistoryPath());
    syncButtons();
}

BenchmarkPage::~BenchmarkPage() = default;  // runner_ (a child) stops and joins its threads

QWidget* BenchmarkPage::buildForm() {
    route_->setObjectName("benchRoute");
    route_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    route_->setMinimumContentsLength(18);
    url_->setObjectName("benchUrl");
    url_->setPlaceholderText("http://127.0.0.1:8000/");
    method_->setObjectName("benchMethod");
    method_->setEditable(true);
    method_->addItems({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"});
    body_->setObjectName("benchBody");
    body_->setPlaceholderText(tr("optional request body"));
    connections_->setObjectName("benchConnections");
    connections_->setRange(1, 10000);
    connections_->setValue(10);
    threads_->setObjectName("benchThreads");
    threads_->setRange(1, 64);
    threads_->setValue(1);
    duration_->setObjectName("benchDuration");
    duration_->setRange(0.5, 3600);
    duration_->setDecimals(1);
    duration_->setValue(10);
    duration_->setSuffix(" s");
    rate_->setObjectName("benchRate");
    rate_->setRange(0, 10'000'000);
    rate_->setDecimals(0);
    rate_->setSingleStep(1000);
    rate_->setSpecialValueText(tr("0 (closed loop)"));
    rate_->setSuffix(tr(" req/s"));
    // What `cello bench` takes besides (docs/benchmarking.md), with the same syntax.
    headers_ = new QLineEdit;
    headers_->setObjectName("benchHeaders");
    headers_->setPlaceholderText(tr("Name: value; Name: value"));
    paths_ = new QLineEdit;
    paths_->setObjectName("benchPaths");
    paths_->setPlaceholderText(tr("a path mix instead of the URL's path: /a:3 /b:1"));
    paths_->setToolTip(tr("Paths on the URL's server, each with an optional weight (how often, relative to the others)"));
    pipeline_ = new QSpinBox;
    pipeline_->setObjectName("benchPipeline");
    pipeline_->setRange(1, 256);
    pipeline_->setToolTip(tr("Requests in flight per connection (HTTP/1.1 pipelining; with HTTP/2, streams)"));
    http2_ = new QCheckBox(tr("HTTP/2"));
    http2_->setObjectName("benchHttp2");
    http2_->setToolTip(tr("Speak HTTP/2: h2 by ALPN for an https:// URL, h2c with prior knowledge for http://"));
    timeout_ = new QDoubleSpinBox;
    timeout_->setObjectName("benchTimeout");
    timeout_->setRange(0.01, 600);
    timeout_->setValue(2);
    timeout_->setSuffix(" s");
    timeout_->setToolTip(tr("Per request and per connect: a request slower than this counts as a timeout error"));
    max_p99_ = new QDoubleSpinBox;
    max_p99_->setObjectName("benchMaxP99");
    max_p99_->setRange(0.1, 60000);
    max_p99_->setValue(100);
    max_p99_->setSuffix(" ms");
    max_p99_->setToolTip(tr("Ceiling search: a step whose p99 exceeds this is not sustainable"));
    ceiling_->setObjectName("benchCeiling");
    ceiling_->setToolTip(tr("Search the highest open-loop rate the server sustains; the duration is per step "
                            "(about 15 steps)."));
    run_->setObjectName("benchRun");
    stop_->setObjectName("benchStop");
    status_->setObjectName("benchStatus");
    status_->setWordWrap(true);
    summary_->setObjectName("benchSummary");
    summary_->setReadOnly(true);
    summary_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    summary_->setPlaceholderText(tr("The summary of a run appears here when it ends; select a run in the "
                                    "history to see its summary, two to compare them."));

    auto* form = new QFormLayout;
    form->addRow(tr("Route"), route_);
    form->addRow(tr("URL"), url_);
    form->addRow(tr("Method"), method_);
    form->addRow(tr("Body"), body_);
    form->addRow(tr("Headers"), headers_);
    form->addRow(tr("Paths"), paths_);
    form->addRow(tr("Connections"), connections_);
    form->addRow(tr("Threads"), threads_);
    form->addRow(tr("Duration"), duration_);
    form->addRow(tr("Rate"), rate_);
    form->addRow(tr("Pipelining"), pipeline_);
    form->addRow(QString(), http2_);
    form->addRow(tr("Timeout"), timeout_);
    form->addRow(QString(), ceiling_);
    form->addRow(tr("Max p99"), max_p99_);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(run_);
    buttons->addWidget(stop_);
    buttons->addStretch();
    auto* box = new QWidget;
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    v->addLayout(form);
    v->addLayout(buttons);
    v->addWidget(status_);
    v->addWidget(summary_, 1);
    steps_ = new QTableWidget(0, 7);
    steps_->setObjectName("benchCeilingSteps");
    steps_->setHorizontalHeaderLabels({tr("Phase"), tr("Target req/s"), tr("Achieved req/s"), tr("p50 ms"), tr("p99 ms"),
                                       tr("Errors"), tr("Sustainable")});
    steps_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    steps_->verticalHeader()->hide();
    steps_->horizontalHeader()->setStretchLastSection(true);
    steps_->setToolTip(tr("The ceiling search, step by step: a step is sustainable when it achieved its rate, "
                          "kept p99 under the max and failed under 1 %"));
    steps_->hide();  // a ceiling search shows it
    v->addWidget(steps_, 1);

    connect(route_, &QComboBox::activated, this, &BenchmarkPage::routeChosen);
    connect(run_, &QPushButton::clicked, this, &BenchmarkPage::run);
    connect(stop_, &QPushButton::clicked, this, &BenchmarkPage::stop);
    connect(ceiling_, &QCheckBox::toggled, this, [this](bool on) { rate_->setEnabled(!on); });
    return box;
}

QWidget* BenchmarkPage::buildCharts() { return charts_->widget(); }

std::uint64_t BenchmarkPage::distributionCount(int run) const { return charts_->distributionCount(run); }

QString BenchmarkPage::distributionTitle() const { return charts_->distributionTitle(); }

QWidget* BenchmarkPage::buildHistory() {
    table_->setObjectName("benchHistory");
    auto* filter = make_filter_box(table_);
    filter->setPlaceholderText(tr("Filter runs"));
    history_sorted_ = sort_and_filter(table_, &history_model_, filter);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->horizontalHeader()->setSectionResizeMode(BenchHistoryModel::Url, QHeaderView::Stretch);
    compare_->setObjectName("benchCompare");
    compare_->setModel(&compare_model_);
    compare_->verticalHeader()->hide();
    compare_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    export_json_->setObjectName("benchExportJson");
    export_csv_->setObjectName("benchExportCsv");
    remove_->setObjectName("benchDelete");

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(new QLabel(tr("History (select two runs to compare)")));
    buttons->addWidget(filter, 1);
    buttons->addWidget(export_json_);
    buttons->addWidget(export_csv_);
    buttons->addWidget(remove_);
    auto* left = new QWidget;
    auto* lv = new QVBoxLayout(left);
    lv->setContentsMargins(0, 0, 0, 0);
    lv->addLayout(buttons);
    lv->addWidget(table_);
    auto* right = new QWidget;
    auto* rv = new QVBoxLayout(right);
    rv->setContentsMargins(0, 0, 0, 0);
    rv->addWidget(new QLabel(tr("Comparison (B / A; green is better)")));
    rv->addWidget(compare_);
    auto* split = new QSplitter(Qt::Horizontal);
    split->setObjectName("benchHistorySplit");  // its sizes are remembered
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &BenchmarkPage::selectionChanged);
    connect(export_json_, &QPushButton::clicked, this, [this] { chooseExport(true); });
    connect(export_csv_, &QPushButton::clicked, this, [this] { chooseExport(false); });
    connect(remove_, &QPushButton::clicked, this, &BenchmarkPage::removeSelected);
    return split;
}

void BenchmarkPage::setTarget(const QString& app_file, const QString& host, int port) {
    const bool moved = app_file != app_file_ || host != host_ || port != port_;
    app_file_ = app_file;
    host_ = host;
    port_ = port;
    // Another app or server: a URL the page filled in is stale (one the user typed is kept).
    if (moved && url_->text() == auto_url_) {
        url_->clear();
        auto_url_.clear();
        route_->clear();
    }
    refreshRoutes();
}

std::pair<QString, int> BenchmarkPage::servedAt() const {
    if (port_ > 0) return {host_, port_};
    const auto& s = state_.view().latest();  // attached: where the server says it answers
    if (s.server_port > 0) {
        QString host = QString::fromStdString(s.server_host);
        if (host == "0.0.0.0" || host == "::" || host.isEmpty()) host = host_;  // listening everywhere
        return {host, s.server_port};
    }
    return {host_, 0};
}

void BenchmarkPage::refreshRoutes() {
    // The live routes of the latest snapshot; the combo keeps its choice across updates.
    const auto& routes = state_.view().latest().routes;
    QStringList labels;
    for (const auto& r : routes)
        if (r.live && r.info.id != inspector::kUnmatchedRoute) labels << QString::fromStdString(r.info.label());
    QStringList have;
    for (int i = 0; i < route_->count(); ++i) have << route_->itemText(i);
    if (labels == have) return;
    const QString current = route_->currentText();
    route_->clear();
    for (const auto& r : routes) {
        if (!r.live || r.info.id == inspector::kUnmatchedRoute) continue;
        route_->addItem(QString::fromStdString(r.info.label()));
        route_->setItemData(route_->count() - 1, QString::fromStdString(r.info.pattern), kPatternRole);
        route_->setItemData(route_->count() - 1, QString::fromStdString(r.info.method), kMethodRole);
    }
    route_->setCurrentIndex(std::max(0, route_->findText(current)));
    if (url_->text().isEmpty() && servedAt().second > 0 && route_->count() > 0) routeChosen(route_->currentIndex());
}

void BenchmarkPage::saveForm() const {
    QSettings s;
    s.setValue("bench/method", method_->currentText());
    s.setValue("bench/body", body_->text());
    s.setValue("bench/connections", connections_->value());
    s.setValue("bench/threads", threads_->value());
    s.setValue("bench/duration", duration_->value());
    s.setValue("bench/rate", rate_->value());
    s.setValue("bench/headers", headers_->text());
    s.setValue("bench/paths", paths_->text());
    s.setValue("bench/pipeline", pipeline_->value());
    s.setValue("bench/http2", http2_->isChecked());
    s.setValue("bench/timeout", timeout_->value());
    s.setValue("bench/max_p99", max_p99_->value());
}

void BenchmarkPage::restoreForm() {
    QSettings s;
    method_->setCurrentText(s.value("bench/method", method_->currentText()).toString());
    body_->setText(s.value("bench/body", body_->text()).toString());
    connections_->setValue(s.value("bench/connections", connections_->value()).toInt());
    threads_->setValue(s.value("bench/threads", threads_->value()).toInt());
    duration_->setValue(s.value("bench/duration", duration_->value()).toDouble());
    rate_->setValue(s.value("bench/rate", rate_->value()).toDouble());
    headers_->setText(s.value("bench/headers", headers_->text()).toString());
    paths_->setText(s.value("bench/paths", paths_->text()).toString());
    pipeline_->setValue(s.value("bench/pipeline", pipeline_->value()).toInt());
    http2_->setChecked(s.value("bench/http2", http2_->isChecked()).toBool());
    timeout_->setValue(s.value("bench/timeout", timeout_->value()).toDouble());
    max_p99_->setValue(s.value("bench/max_p99", max_p99_->value()).toDouble());
}

bool BenchmarkPage::chooseRoute(const QString& label) {
    const int index = route_->findText(label);
    if (index < 0) return false;
    route_->setCurrentIndex(index);
    routeChosen(index);
    return true;
}

void BenchmarkPage::routeChosen(int index) {
    if (index < 0) return;
    const std::string path = bench::fill_path_params(route_->itemData(index, kPatternRole).toString().toStdString());
    QString url;
    if (const auto [host, port] = servedAt(); port > 0) {
        url = QString::fromStdString(bench::bench_url(host.toStdString(), static_cast<std::uint16_t>(port), path));
    } else {  // a server that has not said where it answers: keep the URL's host and port
        std::string error;
        const auto u = lg::parse_url(url_->text().trimmed().toStdString(), error);
        if (!u) return;  // nowhere known to send it: leave the URL to the user
        url = QString::fromStdString(bench::bench_url(u->host, u->port, path));
    }
    url_->setText(url);
    auto_url_ = url;
    const QString method = route_->itemData(index, kMethodRole).toString();
    if (!method.isEmpty()) method_->setCurrentText(method);
}

QString BenchmarkPage::defaultHistoryPath() {
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/bench-history.sqlite3";
}

bool BenchmarkPage::openHistory(const QString& path) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    try {
        db_.emplace(path.toStdString());
    } catch (const std::exception& e) {
        db_.reset();
        history_model_.setRuns({});
        setStatus(tr("Runs are not saved: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
    reloadHistory();
    return true;
}

QString BenchmarkPage::historyPath() const { return db_ ? QString::fromStdString(db_->path()) : QString(); }

bool BenchmarkPage::running() const { return runner_->running(); }

QString BenchmarkPage::statusText() const { return status_->text(); }

QString BenchmarkPage::summary() const { return summary_->toPlainText(); }

bool BenchmarkPage::run() {
    if (running()) return false;
    std::string error;
    const std::string url = url_->text().trimmed().toStdString();
    const auto u = lg::parse_url(url, error);
    if (!u) {
        setStatus(tr("Not a URL: %1").arg(QString::fromStdString(error)));
        return false;
    }
    if (u->websocket) {
        setStatus(tr("WebSocket runs are for cello bench ws:// (the page measures HTTP)"));
        return false;
    }
    lg::LoadConfig config;
    config.host = u->host;
    config.port = u->port;
    config.tls = u->tls;
    config.http2 = http2_->isChecked();
    config.targets = {lg::Target{u->path, 1}};
    // The path mix and headers, in the syntax of cello bench's --path and --header.
    if (const QString paths = paths_->text().trimmed(); !paths.isEmpty()) {
        config.targets.clear();
        for (const QString& p : paths.split(QRegularExpression("[\\s,]+"), Qt::SkipEmptyParts)) {
            const auto t = lg::parse_target(p.toStdString(), error);
            if (!t) {
                setStatus(tr("Paths: %1").arg(QString::fromStdString(error)));
                return false;
            }
            config.targets.push_back(*t);
        }
    }
    for (const QString& h : headers_->text().split(';', Qt::SkipEmptyParts)) {
        if (h.trimmed().isEmpty()) continue;
        const auto header = lg::parse_header(h.trimmed().toStdString(), error);
        if (!header) {
            setStatus(tr("Headers: %1").arg(QString::fromStdString(error)));
            return false;
        }
        config.headers.push_back(*header);
    }
    config.pipeline = static_cast<unsigned>(pipeline_->value());
    config.timeout = std::chrono::duration_cast<lg::Duration>(std::chrono::duration<double>(timeout_->value()));
    ceiling_config_.max_p99 = std::chrono::duration_cast<lg::Duration>(std::chrono::duration<double, std::milli>(max_p99_->value()));
    config.method = method_->currentText().trimmed().toUpper().toStdString();
    config.body = body_->text().toStdString();
    config.connections = static_cast<unsigned>(connections_->value());
    config.threads = static_cast<unsigned>(threads_->value());
    config.duration = std::chrono::duration_cast<lg::Duration>(std::chrono::duration<double>(duration_->value()));
    const bool ceiling = ceiling_->isChecked();
    config.rate = ceiling ? 0 : rate_->value();
    if (const auto why = lg::validate(config); !why.empty()) {
        setStatus(QString::fromStdString(why));
        return false;
    }

    QString start_error;
    const bool started = ceiling ? runner_->startCeiling(config, ceiling_config_, start_error)
                                 : runner_->start(config, start_error);
    if (!started) {
        setStatus(tr("Could not start: %1").arg(start_error));
        return false;
    }
    pending_ = {};
    pending_.started_at = bench::utc_now_iso8601();
    pending_.settings = {url,
                         config.method,
                         config.body,
                         config.connections,
                         config.threads,
                         duration_->value(),
                         config.rate,
                         ceiling,
                         headers_->text().trimmed().toStdString(),
                         paths_->text().trimmed().toStdString(),
                         static_cast<unsigned>(pipeline_->value()),
                         timeout_->value(),
                         ceiling ? max_p99_->value() : 0.0,
                         config.http2};
    pending_.app_file = app_file_.toStdString();
    // The app's commit, asked for now so the answer is there when the run ends.
    if (git_) git_->deleteLater();
    git_ = nullptr;
    if (!app_file_.isEmpty()) {
        git_ = new QProcess(this);
        git_->start("git", {"-C", QFileInfo(app_file_).absolutePath(), "rev-parse", "HEAD"});
    }
    resetCharts(ceiling, ceiling ? 16 : std::max(2.0, std::ceil(duration_->value())), tr("this run"));
    steps_->setRowCount(0);
    steps_->setVisible(ceiling);
    summary_->clear();
    setStatus(ceiling ? tr("Searching the ceiling of %1 (%2 s per step)…").arg(url_->text()).arg(duration_->value())
                      : tr("Running %1 for %2 s…").arg(url_->text()).arg(duration_->value()));
    syncButtons();
    return true;
}

void BenchmarkPage::stop() {
    if (!running()) return;
    runner_->stop();
    setStatus(tr("Stopping…"));
}

void BenchmarkPage::stopNow(bool keep) {
    if (!running()) return;
    discard_ = !keep;
    stop();
    // The runner reports on this thread: let it, for as long as its threads take to end (ms).
    QEventLoop wait;
    QTimer::singleShot(10'000, &wait, &QEventLoop::quit);
    const auto done = connect(runner_, &BenchRunner::finished, &wait, &QEventLoop::quit, Qt::QueuedConnection);
    const auto done_ceiling = connect(runner_, &BenchRunner::ceilingFinished, &wait, &QEventLoop::quit, Qt::QueuedConnection);
    if (running()) wait.exec();
    disconnect(done);
    disconnect(done_ceiling);
    discard_ = false;
}

void BenchmarkPage::resetCharts(bool ceiling, double span, const QString& of) {
    live_points_ = 0;
    charts_->reset(ceiling, span, of);
}

void BenchmarkPage::drawRuns(const std::vector<bench::BenchRun>& runs) {
    if (runs.empty()) return;
    // From the stored reports: every second of a run, or every step of a ceiling search.
    QStringList names;
    for (const auto& run : runs) names << tr("run #%1").arg(run.id);
    const QString of = names.size() == 2 ? names[0] + " vs #" + QString::number(runs[1].id) : names[0];
    const bool ceiling = runs[0].settings.ceiling;
    std::vector<RunCharts::Histogram> histograms;
    double span = 2;
    for (const auto& run : runs) {
        const QJsonObject report = QJsonDocument::fromJson(QByteArray::fromStdString(run.report_json)).object();
        span = std::max(span, static_cast<double>(report.value(run.settings.ceiling ? "steps" : "seconds").toArray().size()));
    }
    resetCharts(ceiling, span, of);
    for (std::size_t k = 0; k < runs.size() && k < 2; ++k) {
        const bench::BenchRun& run = runs[k];
        const QJsonObject report = QJsonDocument::fromJson(QByteArray::fromStdString(run.report_json)).object();
        const bool steps = run.settings.ceiling;
        int i = 0;
        for (const auto& v : report.value(steps ? "steps" : "seconds").toArray()) {
            const QJsonObject p = v.toObject();
            ++i;
            const auto answered = static_cast<std::uint64_t>(p.value("requests").toDouble());
            const auto at = [&](const char* key) {
                return answered > 0 ? std::optional<double>(p.value(key).toDouble() / 1000.0) : std::nullopt;
            };
            charts_->add(static_cast<int>(k), steps ? i : p.value("second").toDouble(i),
                         p.value(steps ? "achieved_rate" : "requests_per_sec").toDouble(), at("p50_us"), at("p99_us"));
        }
        histograms.push_back(histogram_of(run.report_json, names[static_cast<int>(k)]));
    }
    // A ceiling search's steps in the table, as it showed them while it ran.
    steps_->setRowCount(0);
    steps_->setVisible(ceiling && runs.size() == 1);
    if (ceiling && runs.size() == 1) {
        const QJsonObject report = QJsonDocument::fromJson(QByteArray::fromStdString(runs[0].report_json)).object();
        for (const auto& v : report.value("steps").toArray()) {
            const QJsonObject j = v.toObject();
            lg::CeilingStep step;
            step.phase = j.value("phase").toString().toStdString();
            step.target_rate = j.value("target_rate").toDouble();
            step.achieved_rate = j.value("achieved_rate").toDouble();
            step.p50_ns = static_cast<std::int64_t>(j.value("p50_us").toDouble() * 1000);
            step.p99_ns = static_cast<std::int64_t>(j.value("p99_us").toDouble() * 1000);
            step.requests = static_cast<std::uint64_t>(j.value("requests").toDouble());
            step.errors = static_cast<std::uint64_t>(j.value("errors").toDouble());
            step.sustainable = j.value("sustainable").toBool();
            step.why_not = j.value("why_not").toString().toStdString();
            appendStep(step);
        }
    }
    charts_->settle();
    charts_->setDistribution(histograms, of);
}

QString BenchmarkPage::chartsTitle() const { return charts_->throughputTitle(); }
int BenchmarkPage::chartPoints(int run) const { return charts_->points(run); }

void BenchmarkPage::onSecond(const lg::SecondSample& s) {
    if (!running()) return;  // a late sample after the end: the final redraw has it
    charts_->add(0, s.second, s.requests_per_sec, latency_ms(s.requests, s.p50_ns), latency_ms(s.requests, s.p99_ns));
    ++live_points_;
    setStatus(tr("Second %1 of %2: %3 req/s, p50 %4 ms, p99 %5 ms, %6 errors")
                  .arg(s.second)
                  .arg(duration_->value())
                  .arg(s.requests_per_sec, 0, 'f', 0)
                  .arg(ms(s.p50_ns), 0, 'f', 2)
                  .arg(ms(s.p99_ns), 0, 'f', 2)
                  .arg(s.errors));
    Q_EMIT progressed(live_points_);
}

void BenchmarkPage::appendStep(const lg::CeilingStep& s) {
    const int row = steps_->rowCount();
    steps_->insertRow(row);
    const QStringList cells = {QString::fromStdString(s.phase),
                               s.target_rate > 0 ? QString::number(s.target_rate, 'f', 0) : tr("max"),
                               QString::number(s.achieved_rate, 'f', 0), QString::number(ms(s.p50_ns), 'f', 2),
                               QString::number(ms(s.p99_ns), 'f', 2), QString::number(s.errors),
                               s.sustainable ? tr("yes") : tr("no: %1").arg(QString::fromStdString(s.why_not))};
    for (int c = 0; c < cells.size(); ++c) {
        auto* item = new QTableWidgetItem(cells[c]);
        if (c > 0 && c < 6) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        if (c == 6 && !s.sustainable && s.target_rate > 0) item->setForeground(QColor(0xb0, 0x00, 0x20));
        steps_->setItem(row, c, item);
    }
}

void BenchmarkPage::onStep(const lg::CeilingStep& s) {
    appendStep(s);
    steps_->scrollToBottom();
    ++live_points_;
    charts_->add(0, live_points_, s.achieved_rate, latency_ms(s.requests, s.p50_ns), latency_ms(s.requests, s.p99_ns));
    setStatus(tr("Step %1 (%2): target %3 req/s, achieved %4 req/s, p99 %5 ms — %6")
                  .arg(live_points_)
                  .arg(QString::fromStdString(s.phase))
                  .arg(s.target_rate > 0 ? QString::number(s.target_rate, 'f', 0) : tr("max"))
                  .arg(s.achieved_rate, 0, 'f', 0)
                  .arg(ms(s.p99_ns), 0, 'f', 2)
                  .arg(s.phase == "probe" ? tr("probe") : s.sustainable ? tr("sustainable") : tr("not sustainable")));
    Q_EMIT progressed(live_points_);
}

void BenchmarkPage::onFinished(const lg::LoadResult& r) {
    // Redraw from the result: it holds every second, also any whose live sample came late.
    charts_->reset(false, std::max(2.0, static_cast<double>(r.seconds.size())), tr("this run"));
    live_points_ = 0;
    for (const auto& s : r.seconds) {
        charts_->add(0, s.second, s.requests_per_sec, latency_ms(s.requests, s.p50_ns), latency_ms(s.requests, s.p99_ns));
        ++live_points_;
    }
    charts_->settle();
    bench::BenchRun run = std::move(pending_);
    run.summary = bench::summarize(r);
    run.report_json = lg::json_report(run.settings.url, r);
    finishRun(std::move(run), r.totals.requests);
}

void BenchmarkPage::onCeilingFinished(const lg::CeilingResult& r) {
    bench::BenchRun run = std::move(pending_);
    run.summary = bench::summarize(r);
    run.report_json = lg::json_report(run.settings.url, r, ceiling_config_);
    std::uint64_t answered = 0;
    for (const auto& step : r.steps) answered += step.requests;
    finishRun(std::move(run), answered);
}

QString BenchmarkPage::verdict(const bench::BenchSummary& s, std::uint64_t answered) {
    // What a reader must not miss: the numbers above describe failures, or nothing at all.
    const auto& e = s.errors;
    if (answered == 0)
        return tr(" — NOTHING WAS MEASURED: no answer came back (%1 connect, %2 read, %3 write, %4 timeout errors)")
            .arg(e.connect)
            .arg(e.read)
            .arg(e.write)
            .arg(e.timeout);
    if (s.requests > 0 && e.status_5xx == s.requests) return tr(" — EVERY ANSWER WAS A SERVER ERROR (%1 × 5xx): this measures the error path").arg(s.requests);
    QStringList parts;
    if (e.status_5xx) parts << tr("%1 × 5xx").arg(e.status_5xx);
    if (e.status_4xx) parts << tr("%1 × 4xx").arg(e.status_4xx);
    if (e.socket()) parts << tr("%1 socket errors").arg(e.socket());
    return parts.isEmpty() ? QString() : tr(" — with %1 of %2 answers failed: %3")
                                             .arg(e.status_4xx + e.status_5xx)
                                             .arg(s.requests)
                                             .arg(parts.join(", "));
}

void BenchmarkPage::finishRun(bench::BenchRun run, std::uint64_t answered) {
    if (git_) {
        if (git_->state() != QProcess::NotRunning) git_->waitForFinished(2000);  // rarely: git answers in ms
        if (git_->exitStatus() == QProcess::NormalExit && git_->exitCode() == 0) {
            const QString commit = QString::fromUtf8(git_->readAllStandardOutput()).trimmed();
            if (!commit.isEmpty()) run.git_commit = commit.toStdString();
        }
        git_->deleteLater();
        git_ = nullptr;
    }
    summary_->setPlainText(QString::fromStdString(bench::summary_text(run)));
    charts_->setDistribution({histogram_of(run.report_json, tr("this run"))}, tr("this run"));
    QString saved;
    if (discard_) {
        saved = tr(", discarded");
    } else if (answered == 0) {
        saved = tr(", not saved");  // a run that measured nothing would only mislead the history
    } else if (db_) {
        try {
            run.id = db_->save(run);
            saved = tr(", saved as run #%1").arg(run.id);
        } catch (const std::exception& e) {
            saved = tr(", not saved: %1").arg(QString::fromStdString(e.what()));
        }
    }
    setStatus((run.summary.stopped_early ? tr("Stopped early") : tr("Done")) + saved +
              verdict(run.summary, answered));
    syncButtons();
    if (run.id > 0) {
        reloadHistory(run.id);
        summary_->setPlainText(QString::fromStdString(bench::summary_text(run)));  // selection replaced it
        Q_EMIT runSaved(run.id);
    }
    Q_EMIT runEnded();
}

void BenchmarkPage::reloadHistory(std::int64_t select_id) {
    if (!db_) return;
    try {
        history_model_.setRuns(db_->list());
    } catch (const std::exception& e) {
        setStatus(tr("Cannot read the history: %1").arg(QString::fromStdString(e.what())));
        return;
    }
    table_->resizeColumnsToContents();
    if (select_id > 0) selectRuns({select_id});
}

QList<qint64> BenchmarkPage::selectedIds() const {
    QList<qint64> ids;
    for (const auto& index : table_->selectionModel()->selectedRows())
        ids << index.data(BenchHistoryModel::kRunIdRole).toLongLong();
    std::sort(ids.begin(), ids.end());  // oldest first: the baseline of a comparison
    return ids;
}

void BenchmarkPage::selectRuns(const QList<qint64>& ids) {
    QItemSelection selection;
    for (const qint64 id : ids)
        if (const int row = history_model_.rowOf(id); row >= 0)
            selection.select(history_model_.index(row, 0), history_model_.index(row, BenchHistoryModel::ColumnCount - 1));
    table_->selectionModel()->select(history_sorted_->mapSelectionFromSource(selection), QItemSelectionModel::ClearAndSelect);
}

std::optional<bench::BenchRun> BenchmarkPage::loadRun(qint64 id, QString* error) const {
    // A slot must not throw: a damaged or locked file becomes a message.
    try {
        if (auto run = db_ ? db_->load(id) : std::nullopt) return run;
        if (error) *error = tr("no run #%1").arg(id);
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
    }
    return std::nullopt;
}

void BenchmarkPage::selectionChanged() {
    const auto ids = selectedIds();
    syncButtons();
    if (!db_ || ids.isEmpty()) return;
    if (ids.size() == 1) {
        if (const auto run = loadRun(ids[0])) {
            summary_->setPlainText(QString::fromStdString(bench::summary_text(*run)));
            if (!running()) drawRuns({*run});  // the charts beside the summary show the same run
        }
        compare_model_.clear();
        return;
    }
    if (ids.size() == 2) {
        auto a = loadRun(ids[0]);
        auto b = loadRun(ids[1]);
        if (a && b) {
            compare_model_.compare(*a, *b);
            // Both on the same charts (when they are the same kind: seconds, or ceiling steps).
            summary_->setPlainText(QString::fromStdString(bench::summary_text(*a) + "\n" + bench::summary_text(*b)));
            if (!running() && a->settings.ceiling == b->settings.ceiling) drawRuns({std::move(*a), std::move(*b)});
        }
    } else {
        compare_model_.clear();
    }
}

bool BenchmarkPage::exportJson(qint64 id, const QString& file, QString* error) const {
    const auto run = loadRun(id, error);
    return run && write_file(file, bench::run_json(*run), error);
}

bool BenchmarkPage::exportCsv(const QList<qint64>& ids, const QString& file, QString* error) const {
    std::vector<bench::BenchRun> runs;
    for (const qint64 id : ids) {
        auto run = loadRun(id, error);
        if (!run) return false;
        runs.push_back(std::move(*run));
    }
    return write_file(file, bench::runs_csv(runs), error);
}

void BenchmarkPage::chooseExport(bool json) {
    const auto ids = selectedIds();
    if (ids.isEmpty() || (json && ids.size() != 1)) return;
    const QString suggested = QDir::home().filePath(
        ids.size() == 1 ? QString("bench-run-%1.%2").arg(ids[0]).arg(json ? "json" : "csv") : QString("bench-runs.csv"));
    const QString file = QFileDialog::getSaveFileName(this, json ? tr("Export the run as JSON") : tr("Export as CSV"),
                                                      suggested, json ? tr("JSON (*.json)") : tr("CSV (*.csv)"));
    if (file.isEmpty()) return;
    QString error;
    const bool ok = json ? exportJson(ids[0], file, &error) : exportCsv(ids, file, &error);
    setStatus(ok ? tr("Exported to %1").arg(file) : tr("Export failed: %1").arg(error));
}

void BenchmarkPage::removeSelected() {
    if (!db_) return;
    try {
        for (const qint64 id : selectedIds()) db_->remove(id);
    } catch (const std::exception& e) {
        setStatus(tr("Could not delete: %1").arg(QString::fromStdString(e.what())));
    }
    compare_model_.clear();
    reloadHistory();
}

void BenchmarkPage::setStatus(const QString& text) { status_->setText(text); }

void BenchmarkPage::syncButtons() {
    const bool busy = running();
    run_->setEnabled(!busy);
    stop_->setEnabled(busy);
    for (QWidget* w : std::initializer_list<QWidget*>{route_, url_, method_, body_, connections_, threads_, duration_,
                                                     ceiling_, http2_})
        w->setEnabled(!busy);
    rate_->setEnabled(!busy && !ceiling_->isChecked());
    const auto n = table_->selectionModel() ? table_->selectionModel()->selectedRows().size() : 0;
    export_json_->setEnabled(n == 1);
    export_csv_->setEnabled(n >= 1);
    remove_->setEnabled(n >= 1 && !busy);
}

}  // namespace cello::studio
