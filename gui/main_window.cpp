#include "main_window.hpp"

#include "about_dialog.hpp"
#include "inspector/bench/route_url.hpp"
#include "preferences.hpp"
#include "output_capture.hpp"
#include "python_host.hpp"
#include "pages/benchmark_page.hpp"
#include "pages/cache_page.hpp"
#include "pages/console_page.hpp"
#include "pages/errors_page.hpp"
#include "pages/latency_page.hpp"
#include "pages/requests_page.hpp"
#include "pages/routes_page.hpp"
#include "pages/websockets_page.hpp"
#include "pages/workers_page.hpp"

#include <QAction>
#include <QSplitter>
#include <QIcon>
#include <QDesktopServices>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QEventLoop>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStatusBar>
#include <QToolBar>

#include <algorithm>

namespace cello::studio {

namespace {
constexpr int kMaxRecent = 8;
}

MainWindow::MainWindow(OutputCapture* capture, QWidget* parent)
    : QMainWindow(parent), nav_(new QListWidget), stack_(new QStackedWidget), routes_(new RoutesPage(state_)),
      requests_(new RequestsPage(state_)), errors_(new ErrorsPage(state_)), latency_(new LatencyPage(state_)), cache_(new CachePage(state_)),
      workers_page_(new WorkersPage(state_)), websockets_(new WebSocketsPage(state_)),
      console_(new ConsolePage(state_)), benchmark_(new BenchmarkPage(state_)), host_(new QLineEdit),
      port_box_(new QSpinBox), workers_(new QSpinBox), env_(new QComboBox), status_(new QLabel) {
    setWindowTitle("Cello Studio");
    setObjectName("studioWindow");
    const QList<QPair<QString, QWidget*>> pages = {
        {tr("Routes"), routes_}, {tr("Requests"), requests_}, {tr("Errors"), errors_}, {tr("Latency"), latency_},
        {tr("Cache"), cache_},   {tr("Workers"), workers_page_}, {tr("WebSockets"), websockets_},
        {tr("Console"), console_}, {tr("Benchmark"), benchmark_}};
    for (const auto& [name, widget] : pages) {
        nav_->addItem(name);
        // Scrolled, not squeezed: a page's own minimum must not set the window's (small screens,
        // 2x scaling); below it, the page scrolls.
        auto* scroll = new QScrollArea;
        scroll->setWidget(widget);
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        stack_->addWidget(scroll);
    }
    nav_->setObjectName("pageList");
    nav_->setFixedWidth(120);
    connect(nav_, &QListWidget::currentRowChanged, stack_, &QStackedWidget::setCurrentIndex);
    auto* central = new QWidget;
    auto* layout = new QHBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(nav_);
    layout->addWidget(stack_, 1);
    setCentralWidget(central);
    status_->setObjectName("servingStatus");
    statusBar()->addWidget(status_, 1);
    url_ = new QLabel;
    url_->setObjectName("serverUrl");
    url_->setOpenExternalLinks(true);
    url_->setToolTip(tr("Open in the browser"));
    statusBar()->addPermanentWidget(url_);
    connect(routes_, &RoutesPage::sourceOpened, this, &MainWindow::showSourceOpened);
    connect(routes_, &RoutesPage::copied, this, &MainWindow::updateStatus);
    connect(requests_, &RequestsPage::said, this, &MainWindow::updateStatus);
    connect(routes_, &RoutesPage::benchmarkRequested, this, [this](const QString& label) {
        showPage(Benchmark);
        if (!benchmark_->chooseRoute(label)) updateStatus(tr("%1 is not in the Benchmark page's route list yet").arg(label));
    });
    connect(errors_, &ErrorsPage::sourceOpened, this, &MainWindow::showSourceOpened);
    // The Errors entry says how many failures the session has seen, from any page.
    state_.setFrameworkDirs({(py::find_package_dir() / "cello").string() + "/"});
    connect(&state_, &StudioState::errorsChanged, this, [this] {
        const auto total = state_.errorGroups().total();
        auto* item = nav_->item(Errors);
        item->setText(total ? tr("Errors (%1)").arg(total) : tr("Errors"));
        item->setForeground(total ? QBrush(QColor("#b00020")) : QBrush());
    });
    retry_watch_ = new QFileSystemWatcher(this);
    retry_timer_ = new QTimer(this);
    retry_timer_->setSingleShot(true);
    retry_timer_->setInterval(300);  // editors write in steps: start once the saving is done
    const auto changed = [this] { retry_timer_->start(); };
    connect(retry_watch_, &QFileSystemWatcher::fileChanged, this, changed);
    connect(retry_watch_, &QFileSystemWatcher::directoryChanged, this, changed);
    connect(retry_timer_, &QTimer::timeout, this, [this] {
        if (session_.running() || attached_ || app_path_.isEmpty()) return;
        // Only the app's own file: the directory also changes for logs, caches, other files.
        const QDateTime saved = QFileInfo(app_path_).lastModified();
        if (!saved.isValid() || saved == retry_saved_) return;
        console_->append(tr("%1 changed: starting again").arg(QFileInfo(app_path_).fileName()), "studio");
        startApp();
    });
    connect(&state_, &StudioState::updated, this, [this](const inspector::LiveView::Delta& d) {
        if (d.new_reloads && !state_.view().reloads().empty()) showReload(state_.view().reloads().back());
    });

    buildActions();
    buildToolbar();

    if (capture)
        connect(capture, &OutputCapture::line, console_, &ConsolePage::appendOutput);
    connect(&state_, &StudioState::sourceFailed, this, [this](const QString& why) {
        updateStatus(tr("Inspector unreachable: %1").arg(why));
    });

    connect(&state_, &StudioState::updated, this, &MainWindow::showServerUrl);  // an attached server says where it answers
    setWindowIcon(QIcon(":/icons/cello.svg"));

    QSettings settings;
    const Preferences prefs = Preferences::load();
    restoreLayout();
    restoreGeometry(settings.value("window/geometry").toByteArray());
    restoreState(settings.value("window/state").toByteArray());
    RunSettings s;
    s.host = settings.value("run/host", prefs.host).toString().toStdString();
    s.port = settings.value("run/port", prefs.port).toInt();
    s.workers = settings.value("run/workers", s.workers).toInt();
    s.env = settings.value("run/env", QString::fromStdString(s.env)).toString().toStdString();
    setSettings(s);
    nav_->setCurrentRow(settings.value("window/page", 0).toInt());
    refreshRecentMenu();
    syncActions();
    updateStatus(tr("Open an app (File ▸ Open) or attach to a server started with --inspect"));
}

void MainWindow::showSourceOpened(bool ok, const QString& message) {
    updateStatus(message);
    console_->append(message, ok ? "studio" : "error");
}

MainWindow::~MainWindow() {
    state_.setSource(nullptr);
    session_.stop();
}

void MainWindow::buildActions() {
    const auto icon = [](const char* name) { return QIcon(QString(":/icons/%1.svg").arg(name)); };
    open_ = new QAction(icon("open"), tr("&Open app…"), this);
    open_->setShortcut(QKeySequence::Open);
    start_ = new QAction(icon("start"), tr("&Start"), this);
    start_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    stop_ = new QAction(icon("stop"), tr("S&top"), this);
    stop_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    start_->setObjectName("startAction");
    stop_->setObjectName("stopAction");
    reload_ = new QAction(icon("reload"), tr("&Reload now"), this);
    reload_->setShortcut(QKeySequence::Refresh);
    reload_->setObjectName("reloadAction");
    attach_ = new QAction(icon("attach"), tr("&Attach to server…"), this);
    attach_->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    attach_->setObjectName("attachAction");
    detach_ = new QAction(icon("detach"), tr("&Detach"), this);
    detach_->setObjectName("detachAction");
    detach_->setToolTip(tr("Stop watching the attached server (it keeps running)"));
    browser_ = new QAction(icon("browser"), tr("Open in &browser"), this);
    browser_->setObjectName("openBrowserAction");
    browser_->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B));
    auto* bench = new QAction(icon("benchmark"), tr("Run &benchmark"), this);
    bench->setObjectName("runBenchmarkAction");
    bench->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_B));
    auto* quit = new QAction(tr("&Quit"), this);
    quit->setShortcut(QKeySequence::Quit);
    for (QAction* a : {open_, start_, stop_, reload_, attach_, detach_, browser_, bench})
        if (!a->shortcut().isEmpty()) a->setToolTip(QString("%1 (%2)").arg(a->text().remove('&').remove("…"), a->shortcut().toString()));
    connect(open_, &QAction::triggered, this, &MainWindow::chooseApp);
    connect(start_, &QAction::triggered, this, &MainWindow::startApp);
    connect(stop_, &QAction::triggered, this, &MainWindow::stopApp);
    connect(detach_, &QAction::triggered, this, &MainWindow::stopApp);
    connect(reload_, &QAction::triggered, this, [this] {
        if (state_.source()) state_.source()->reload();
    });
    connect(browser_, &QAction::triggered, this, [this] {
        if (const QUrl url = serverUrl(); !url.isEmpty() && !QDesktopServices::openUrl(url))
            updateStatus(tr("No browser could be started for %1").arg(url.toString()));
    });
    connect(bench, &QAction::triggered, this, [this] {
        showPage(Benchmark);
        if (!benchmark_->running()) benchmark_->run();
    });
    connect(&state_, &StudioState::actionDone, this, [this](bool ok, const QString& message) {
        console_->append(message, ok ? "studio" : "error");
    });
    connect(attach_, &QAction::triggered, this, &MainWindow::chooseAttach);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(open_);
    recent_ = file->addMenu(tr("Open &recent"));
    file->addAction(attach_);
    file->addAction(detach_);
    file->addSeparator();
    file->addAction(quit);
    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* prefs = edit->addAction(tr("&Preferences…"), this, &MainWindow::editPreferences);
    prefs->setObjectName("preferencesAction");
    prefs->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));
    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->setObjectName("viewMenu");
    for (int page = 0; page < PageCount; ++page) {
        QAction* a = view->addAction(nav_->item(page)->text(), this, [this, page] { showPage(static_cast<Page>(page)); });
        a->setObjectName(QString("showPage%1").arg(page + 1));
        a->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + page)));
    }
    QMenu* run = menuBar()->addMenu(tr("&Run"));
    run->addAction(start_);
    run->addAction(stop_);
    run->addAction(reload_);
    run->addSeparator();
    run->addAction(browser_);
    run->addAction(bench);
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* guide = help->addAction(tr("Studio &guide"), this, [this] {
        const QString dir = docs_dir();
        if (dir.isEmpty() || !QDesktopServices::openUrl(QUrl::fromLocalFile(dir + "/studio.md")))
            updateStatus(tr("The documentation is not installed beside this studio"));
    });
    guide->setObjectName("guideAction");
    guide->setShortcut(QKeySequence::HelpContents);
    QAction* about = help->addAction(tr("&About Cello Studio"), this, [this] { show_about(this); });
    about->setObjectName("aboutAction");
}

void MainWindow::buildToolbar() {
    QToolBar* bar = addToolBar(tr("Run"));
    bar->setObjectName("runToolbar");
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->setIconSize(QSize(20, 20));
    bar->addAction(open_);
    bar->addAction(start_);
    bar->addAction(stop_);
    bar->addAction(reload_);
    bar->addSeparator();
    host_->setObjectName("hostEdit");
    // Wide enough for any IPv4 address: a narrow window moves the toolbar's last items into its
    // overflow menu instead of squeezing the field to a few characters.
    const int address = host_->fontMetrics().horizontalAdvance(QStringLiteral("255.255.255.255")) + 16;
    host_->setMinimumWidth(address);
    host_->setMaximumWidth(std::max(130, address));
    port_box_->setObjectName("portBox");
    port_box_->setRange(0, 65535);
    workers_->setObjectName("workersBox");
    workers_->setRange(1, 64);
    env_->setObjectName("envBox");
    env_->addItems({"development", "production"});
    bar->addWidget(new QLabel(tr(" Host ")));
    bar->addWidget(host_);
    bar->addWidget(new QLabel(tr(" Port ")));
    bar->addWidget(port_box_);
    bar->addWidget(new QLabel(tr(" Workers ")));
    bar->addWidget(workers_);
    bar->addWidget(new QLabel(tr(" Env ")));
    bar->addWidget(env_);
    bar->addSeparator();
    bar->addAction(attach_);
    bar->addAction(detach_);
    menuBar()->findChild<QMenu*>("viewMenu")->addSeparator();
    menuBar()->findChild<QMenu*>("viewMenu")->addAction(bar->toggleViewAction());
}

QUrl MainWindow::serverUrl() const {
    if (session_.running() && port_ > 0)
        return QUrl(QString::fromStdString(inspector::bench::bench_url(settings().host, static_cast<std::uint16_t>(port_), "/")));
    const auto& s = state_.view().latest();
    if (attached_ && s.server_port > 0)
        return QUrl(QString::fromStdString(inspector::bench::bench_url(s.server_host, s.server_port, "/")));
    return {};
}

void MainWindow::showServerUrl() {
    const QUrl url = serverUrl();
    browser_->setEnabled(!url.isEmpty());
    const QString text = url.isEmpty() ? QString() : QString("<a href='%1'>%1</a>").arg(url.toString().toHtmlEscaped());
    if (url_->text() != text) url_->setText(text);
    if (attached_)
        setWindowTitle(tr("Attached to %1 — Cello Studio").arg(attached_api_.authority()));
    else if (!app_path_.isEmpty())
        setWindowTitle(tr("%1 — Cello Studio").arg(QFileInfo(app_path_).fileName()));
    else
        setWindowTitle(tr("Cello Studio"));
}

void MainWindow::editPreferences() {
    PreferencesDialog dialog(Preferences::load(), this);
    if (dialog.exec() != QDialog::Accepted) return;
    const Preferences p = dialog.preferences();
    p.save();
    apply_theme(p.theme);
    if (!session_.running()) {  // the next start uses the new defaults
        host_->setText(p.host);
        port_box_->setValue(p.port);
    }
    updateStatus(tr("Preferences saved"));
}

void MainWindow::rememberLayout() const {
    QSettings settings;
    for (const QSplitter* split : findChildren<QSplitter*>())
        if (!split->objectName().isEmpty()) settings.setValue("splitters/" + split->objectName(), split->saveState());
    benchmark_->saveForm();
}

void MainWindow::restoreLayout() {
    QSettings settings;
    for (QSplitter* split : findChildren<QSplitter*>())
        if (const auto state = settings.value("splitters/" + split->objectName()); state.isValid())
            split->restoreState(state.toByteArray());
    benchmark_->restoreForm();
}

RunSettings MainWindow::settings() const {
    RunSettings s;
    s.host = host_->text().trimmed().toStdString();
    s.port = port_box_->value();
    s.workers = workers_->value();
    s.env = env_->currentText().toStdString();
    return s;
}

void MainWindow::setSettings(const RunSettings& s) {
    host_->setText(QString::fromStdString(s.host));
    port_box_->setValue(s.port);
    workers_->setValue(s.workers);
    env_->setCurrentText(QString::fromStdString(s.env));
}

void MainWindow::showPage(Page p) { nav_->setCurrentRow(p); }
MainWindow::Page MainWindow::currentPage() const { return static_cast<Page>(nav_->currentRow()); }

void MainWindow::openApp(const QString& path) {
    app_path_ = QFileInfo(path).absoluteFilePath();
    rememberRecent(app_path_);
    setWindowTitle(tr("%1 — Cello Studio").arg(QFileInfo(app_path_).fileName()));
    startApp();
}

bool MainWindow::startApp() {
    if (app_path_.isEmpty()) {
        chooseApp();
        return !app_path_.isEmpty() && session_.running();
    }
    state_.setSource(nullptr);
    attached_ = false;
    ++attach_attempt_;
    const RunSettings s = settings();
    console_->append(tr("starting %1 on %2:%3").arg(app_path_, QString::fromStdString(s.host)).arg(s.port), "studio");
    try {
        port_ = session_.start(app_path_.toStdString(), s);
    } catch (const std::exception& e) {
        port_ = 0;
        const QString why = QString::fromStdString(e.what()).trimmed();
        console_->append(tr("could not start the app:\n%1").arg(why), "error");
        // The status bar says why too (the traceback's last line), and what would help.
        const QString last = why.split('\n').last().trimmed();
        const bool port_problem = why.contains("cannot listen") || why.contains("in use", Qt::CaseInsensitive);
        updateStatus(port_problem ? tr("Not running: %1 — choose another port in the toolbar").arg(last)
                                  : tr("Not running: %1 — see Console; it starts again when you save the app").arg(last));
        showPage(Console);
        watchForRetry(!port_problem);  // a save cannot free a port
        syncActions();
        return false;
    }
    watchForRetry(false);
    console_->setRemoteEvents(false);  // the app's own output says its reloads and failures
    state_.setSource(new LocalSource(session_.inspector(), app_path_));
    benchmark_->setTarget(app_path_, QString::fromStdString(s.host), port_);
    updateStatus(servingText() + tr(" — reloads on save"));
    QSettings settings;
    settings.setValue("run/host", QString::fromStdString(s.host));
    settings.setValue("run/port", s.port);
    settings.setValue("run/workers", s.workers);
    settings.setValue("run/env", QString::fromStdString(s.env));
    syncActions();
    return true;
}

void MainWindow::watchForRetry(bool on) {
    const QStringList watched = retry_watch_->files() + retry_watch_->directories();
    if (!watched.isEmpty()) retry_watch_->removePaths(watched);
    retry_timer_->stop();
    if (!on || app_path_.isEmpty()) return;
    // The directory too: an editor that saves by replacing the file makes the file's watch go.
    retry_saved_ = QFileInfo(app_path_).lastModified();
    retry_watch_->addPaths({app_path_, QFileInfo(app_path_).absolutePath()});
}

void MainWindow::stopApp() {
    watchForRetry(false);  // stopped on purpose: a save does not start it
    state_.setSource(nullptr);
    attached_ = false;
    if (session_.running()) {
        // The drain waits for handlers still running: off the GUI thread, and the window keeps
        // drawing and answering (Stop and Start are disabled) until it is done.
        updateStatus(tr("Stopping: waiting for the requests in flight to finish (up to 30 s)…"));
        session_.stop_async([this] { QMetaObject::invokeMethod(this, &MainWindow::appStopped, Qt::QueuedConnection); });
        syncActions();
        waitForStop();
        console_->append(tr("stopped"), "studio");
    } else {
        waitForStop();  // called again while a stop is under way (closing the window meanwhile)
    }
    port_ = 0;
    benchmark_->setTarget(app_path_, QString::fromStdString(settings().host), 0);
    updateStatus(tr("Stopped"));
    syncActions();
}

void MainWindow::waitForStop() {
    if (!session_.stopping()) return;
    QEventLoop loop;
    connect(this, &MainWindow::appStopped, &loop, &QEventLoop::quit);
    // Checked again inside: the stop may have finished between the check above and the loop.
    QMetaObject::invokeMethod(&loop, [this, &loop] { if (!session_.stopping()) loop.quit(); }, Qt::QueuedConnection);
    loop.exec();
}

bool MainWindow::attach(const QUrl& api, const QString& token) {
    if (!api.isValid() || api.scheme() != "http") {
        updateStatus(tr("Not an inspector URL: %1").arg(api.toString()));
        return false;
    }
    // What runs now keeps running until the server has answered with this token.
    const int attempt = ++attach_attempt_;
    updateStatus(tr("Attaching to %1…").arg(api.toString()));
    RemoteSource::probe(api, token, this, [this, api, token, attempt](bool ok, const QString& why) {
        if (attempt != attach_attempt_) return;
        if (!ok) {
            const QString kept = session_.running() ? tr("the local app keeps running")
                                 : attached_        ? tr("still attached to the previous server")
                                                    : tr("nothing was changed");
            updateStatus(tr("Could not attach to %1: %2 — %3").arg(api.toString(), why, kept));
            console_->append(tr("could not attach to %1: %2").arg(api.toString(), why), "error");
            return;
        }
        stopApp();
        attached_ = true;
        attached_api_ = api;
        state_.setSource(new RemoteSource(api, token));
        benchmark_->setTarget({}, api.host(), 0);  // the served app's port comes with the snapshots
        updateStatus(tr("Attached to %1").arg(api.toString()));
        console_->append(tr("attached to %1").arg(api.toString()), "studio");
        console_->setRemoteEvents(true);  // that server's output is not ours: its inspector tells
        QSettings().setValue("attach/url", api.toString());
        syncActions();
    });
    return true;
}

void MainWindow::chooseApp() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a Cello app"), QFileInfo(app_path_).path(),
                                                      tr("Python files (*.py)"));
    if (!path.isEmpty()) openApp(path);
}

void MainWindow::chooseAttach() {
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Attach to a server"));
    dialog.setObjectName("attachDialog");
    auto* url = new QLineEdit(QSettings().value("attach/url", "http://127.0.0.1:9400/inspect/v1").toString());
    url->setObjectName("attachUrl");
    auto* token = new QLineEdit;
    token->setObjectName("attachToken");
    token->setEchoMode(QLineEdit::Password);
    auto* form = new QFormLayout(&dialog);
    form->addRow(new QLabel(tr("Start the server with --inspect; it prints the URL and token.")));
    form->addRow(tr("Inspector URL"), url);
    form->addRow(tr("Token"), token);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    if (dialog.exec() == QDialog::Accepted) attach(QUrl(url->text().trimmed()), token->text().trimmed());
}

void MainWindow::rememberRecent(const QString& path) {
    QSettings settings;
    QStringList recent = settings.value("recentApps").toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent) recent.removeLast();
    settings.setValue("recentApps", recent);
    refreshRecentMenu();
}

void MainWindow::refreshRecentMenu() {
    recent_->clear();
    const QStringList recent = QSettings().value("recentApps").toStringList();
    // Queued: opening rebuilds this menu, which must not delete the action still being triggered.
    for (const auto& path : recent)
        recent_->addAction(path, this, [this, path] {
            QMetaObject::invokeMethod(this, [this, path] { openApp(path); }, Qt::QueuedConnection);
        });
    recent_->setEnabled(!recent.isEmpty());
}

void MainWindow::updateStatus(const QString& text) { status_->setText(text); }

QString MainWindow::servingText() const {
    return tr("Serving %1 on http://%2:%3")
        .arg(QFileInfo(app_path_).fileName(), QString::fromStdString(settings().host))
        .arg(port_);
}

void MainWindow::showReload(const inspector::ReloadRow& r) {
    if (!session_.running()) return;
    const QString at = QDateTime::fromMSecsSinceEpoch(r.time_ns / 1'000'000).toString("HH:mm:ss");
    if (r.ok) {
        updateStatus(servingText() + tr(" — reloaded at %1; reloads on save").arg(at));
        return;
    }
    // The last line of the traceback says what is wrong ("SyntaxError: ..."), the rest where.
    const QStringList lines = QString::fromStdString(r.error).trimmed().split('\n');
    updateStatus(servingText() + tr(" — the reload at %1 FAILED (%2): the previous code still serves; fix and save")
                                     .arg(at, lines.isEmpty() ? tr("see Console") : lines.last().trimmed()));
}

void MainWindow::syncActions() {
    const bool running = session_.running();
    const bool busy = running || session_.stopping();  // stopping: the port is not free yet
    start_->setEnabled(!busy);
    stop_->setEnabled(running);
    detach_->setEnabled(attached_);
    detach_->setVisible(attached_);  // the toolbar shows it only when there is something to detach from
    reload_->setEnabled(running || attached_);
    for (QWidget* w : std::initializer_list<QWidget*>{host_, port_box_, workers_, env_}) w->setEnabled(!busy);
    showServerUrl();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (benchmark_->running()) {
        // A run's numbers so far are worth keeping: ask instead of dropping them with the window.
        // The question in the box itself, not only in its title (which some platforms do not show).
        QMessageBox box(QMessageBox::Question, tr("A benchmark is running"), tr("A benchmark is running."),
                        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
        box.setInformativeText(tr("Stop it and keep what it has measured so far in the history?"));
        box.setObjectName("benchmarkRunningOnClose");
        box.setDefaultButton(QMessageBox::Save);
        const int answer = box.exec();
        if (answer == QMessageBox::Cancel) {
            event->ignore();
            return;
        }
        benchmark_->stopNow(answer == QMessageBox::Save);
    }
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    settings.setValue("window/page", nav_->currentRow());
    rememberLayout();
    stopApp();
    event->accept();
}

}  // namespace cello::studio
