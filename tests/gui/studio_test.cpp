// cello-studio driven by Qt Test in a real (offscreen) window: a real app served by the embedded
// engine, real HTTP requests, real file edits. Saves a screenshot of every page.
#include "inspector/bench/bench_history.hpp"
#include "main_window.hpp"
#include "source_opener.hpp"
#include "preferences.hpp"
#include "about_dialog.hpp"
#include "output_capture.hpp"
#include "pages/benchmark_page.hpp"
#include "pages/cache_page.hpp"
#include "pages/console_page.hpp"
#include "console_lines.hpp"
#include "pages/errors_page.hpp"
#include "pages/latency_page.hpp"
#include "pages/requests_page.hpp"
#include "pages/routes_page.hpp"
#include "pages/run_charts.hpp"
#include "pages/websockets_page.hpp"
#include "pages/workers_page.hpp"
#include "python_runtime.hpp"

#include <cstdio>
#include <functional>
#include <optional>
#include <string_view>

#include <QAbstractItemModelTester>
#include <QValueAxis>
#include <QAbstractProxyModel>
#include <QHash>
#include <QApplication>
#include <QPalette>
#include <QSplitter>
#include <QMenuBar>
#include <QGuiApplication>
#include <QSortFilterProxyModel>
#include <QMenu>
#include <QClipboard>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QDesktopServices>
#include <QDialog>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QHeaderView>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPlainTextEdit>
#include <QProcess>
#include <QScrollBar>
#include <QJsonArray>
#include <QMessageBox>
#include <QSet>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QToolBar>
#include <QTextBrowser>
#include <QAction>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace cello::studio;
namespace inspector = cello::inspector;

namespace {

// How long a check waits for something that should happen promptly (a poll, a reload, a request).
// QTRY_* return as soon as the condition holds, so this costs nothing when the studio works; it is
// generous because CI runs this test beside the others on a loaded 2-core machine, where Qt Test's
// default of 5 s is not always enough. Only a broken studio reaches it. (docs/testing.md, "Timing")
constexpr int kWait = 30000;

const char* kApp = R"PY(
import time
from cello import App, cache

print("app module imported"); print("\x1b[32mcoloured\x1b[0m output")
app = App()

@app.get("/")
def home(request):
    return {"version": 1}

@app.get("/users/{id:int}")
def user(request):
    return {"id": request.params["id"]}

@app.post("/boom")
def boom(request):
    raise ValueError("studio saw this " + request.text())

@app.get("/cached/{n}")
@cache(ttl=60, tags=["users"])
def cached(request):
    return {"n": request.params["n"]}

@app.get("/slow")
def slow(request):
    time.sleep(0.02)
    return "slow"
)PY";

// Routes with a database, added to kApp by the test of queries in request details (%1: the file).
// The app with its OpenAPI pages on (the Routes page links to them).
const char* kOpenApi = R"PY(

app.enable_openapi(title="Studio shop")
)PY";

const char* kDbRoutes = R"PY(

import logging
from cello import DatabaseConfig

log = logging.getLogger("shop")
app.enable_database(DatabaseConfig(url="sqlite:///%1"))
app.db.sync.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT)")
if not app.db.sync.fetch_val("SELECT count(*) FROM items"):
    app.db.sync.execute_many("INSERT INTO items (name) VALUES (?)", [[f"item {i}"] for i in range(6)])

@app.get("/items")
async def items(request):
    ids = [r["id"] for r in await request.db.fetch_all("SELECT id FROM items ORDER BY id")]
    log.warning("loading %d items one by one", len(ids))
    return [await request.db.fetch_one("SELECT id, name FROM items WHERE id = ?", [i]) for i in ids]

@app.get("/items/bad")
async def bad_items(request):
    return await request.db.fetch_all("SELECT nope FROM items")
)PY";

// Handlers whose answers the request details show three ways (item 17): a binary body as a hex
// dump, plain text as it is, and a JSON body past the 8 KiB the engine keeps of it.
const char* kBodyRoutes = R"PY(

@app.get("/body/binary")
def binary_body(request):
    return b"\x89PNG\r\n\x1a\n" + bytes(range(32))

@app.get("/body/text")
def text_body(request):
    return "plain words\nsecond line"

@app.get("/body/large")
def large_body(request):
    return {"items": [{"n": i, "name": f"item {i:04d}"} for i in range(600)]}
)PY";

// An app that cannot be imported (items 6 and 8): a syntax error on its fourth line.
const char* kSyntaxErrorApp = R"PY(from cello import App
app = App()

def home(request:
    return "never"
)PY";

struct Reply {
    int status = 0;
    QByteArray body;
    QByteArray header(const char* name) const { return headers.value(name); }
    QMap<QByteArray, QByteArray> headers;
};

// A real HTTP request with Qt's client, waited for in a local event loop (the window keeps painting).
Reply http(QNetworkAccessManager& net, const QString& method, int port, const QString& path, const QByteArray& body = {},
           const QString& host = "127.0.0.1") {
    QNetworkRequest req(QUrl(QString("http://%1:%2%3").arg(host).arg(port).arg(path)));
    req.setTransferTimeout(kWait);
    QNetworkReply* r = net.sendCustomRequest(req, method.toUtf8(), body);
    QEventLoop loop;
    QObject::connect(r, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    Reply out;
    out.status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.body = r->readAll();
    for (const auto& [k, v] : r->rawHeaderPairs()) out.headers.insert(k.toLower(), v);
    r->deleteLater();
    return out;
}

// What the studio hands the desktop to open (a browser, the docs): caught instead, for as long as
// it lives, for http, https and file URLs.
class UrlCatcher : public QObject {
    Q_OBJECT
public:
    QList<QUrl> opened;
    UrlCatcher() {
        for (const char* scheme : kSchemes) QDesktopServices::setUrlHandler(scheme, this, "open");
    }
    ~UrlCatcher() override {
        for (const char* scheme : kSchemes) QDesktopServices::unsetUrlHandler(scheme);
    }

public Q_SLOTS:
    void open(const QUrl& url) { opened << url; }

private:
    static constexpr const char* kSchemes[] = {"http", "https", "file"};
};

int free_port() {
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

// Measures how long the GUI thread's event loop went without turning (a 10 ms timer's worst gap).
// The load and benchmark runs it watches last 2 s or more, so a GUI thread that waited on the server
// for them would show a gap of 2 s; kMaxStallMs stays below that and well above what a loaded
// 2-core machine gives a working studio (up to 352 ms seen with two CPU hogs beside ctest -j2).
constexpr qint64 kMaxStallMs = 1500;
struct StallMeter {
    QElapsedTimer clock;
    QTimer tick;
    qint64 last = 0, worst_gap = 0;

    StallMeter() {
        clock.start();
        QObject::connect(&tick, &QTimer::timeout, [this] {
            worst_gap = std::max(worst_gap, clock.elapsed() - last);
            last = clock.elapsed();
        });
        tick.start(10);
    }
    double seconds() const { return clock.elapsed() / 1000.0; }
};

const inspector::RouteRow* route(RoutesPage* page, const QString& pattern) {
    auto& m = page->model();
    for (int i = 0; i < m.rowCount(); ++i)
        if (const auto* r = m.row(i); r && QString::fromStdString(r->info.pattern) == pattern) return r;
    return nullptr;
}

std::uint64_t count_of(RoutesPage* page, const QString& pattern) {
    const auto* r = route(page, pattern);
    return r ? r->stats.total.count : 0;
}

}  // namespace

// A set-up step that checks as it goes. QVERIFY and friends inside a helper return from the helper
// only; this ends the case too when the step failed, instead of running on against a half-made
// fixture.
#define SETUP(...)                              \
    do {                                        \
        __VA_ARGS__;                            \
        if (QTest::currentTestFailed()) return; \
    } while (false)

// Every case starts from a window of its own (init) and ends by closing it (cleanup): its own copy
// of the app in a fresh folder, empty settings, an empty benchmark history, the models under test.
// A case that needs the app served, traffic sent or runs in the history makes them itself with the
// helpers below, so any case runs alone (`studio_tests caseName`) as it runs in the suite.
class StudioTest : public QObject {
    Q_OBJECT

public:
    explicit StudioTest(OutputCapture* capture) : capture_(capture) {}

private:
    QTemporaryDir suite_dir_;             // screenshots, unless CELLO_SCREENSHOT_DIR says where
    std::optional<QTemporaryDir> dir_;    // this case's: the app, the editor's log, exports, history
    QString app_;                         // dir_/site/app.py, a fresh copy of kApp
    QString shots_;
    std::unique_ptr<MainWindow> window_;
    QNetworkAccessManager net_;
    OutputCapture* capture_ = nullptr;
    QHash<QAbstractItemModel*, QAbstractItemModelTester*> testers_;

    int port() const { return window_->servingPort(); }

    void save(const QString& name) {
        window_->resize(1200, 760);
        QApplication::processEvents();
        QTest::qWait(300);  // a poll or two: charts and tables drawn with fresh numbers
        const QString file = shots_ + "/studio-" + name + ".png";
        QVERIFY2(window_->grab().save(file), qPrintable(file));
    }

    void write_app(const QString& text) {
        QFile f(app_);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(text.toUtf8());
    }

    // The case's app opened and served on a free port, its five routes (and <unmatched>) listed.
    void open_and_serve() {
        RunSettings s;
        s.port = free_port();
        window_->setSettings(s);
        window_->openApp(app_);
        QVERIFY2(port() == s.port, qPrintable(status()));
        QTRY_COMPARE_WITH_TIMEOUT(window_->routesPage()->model().rowCount(), 6, kWait);
    }

    // Thirteen requests the Routes, Requests, Latency and Cache checks count on: five users, four
    // slow ones (20 ms each), a cache miss then two hits, one 404. Returns once the studio shows them.
    void send_traffic() {
        for (int i = 0; i < 5; ++i) QCOMPARE(http(net_, "GET", port(), QString("/users/%1").arg(i)).status, 200);
        for (int i = 0; i < 4; ++i) QCOMPARE(http(net_, "GET", port(), "/slow").status, 200);
        QCOMPARE(http(net_, "GET", port(), "/cached/1").header("x-cache"), QByteArray("MISS"));
        QCOMPARE(http(net_, "GET", port(), "/cached/1").header("x-cache"), QByteArray("HIT"));
        QCOMPARE(http(net_, "GET", port(), "/cached/1").header("x-cache"), QByteArray("HIT"));
        QCOMPARE(http(net_, "GET", port(), "/nope").status, 404);
        QTRY_COMPARE_WITH_TIMEOUT(window_->requestsPage()->model().rowCount(), 13, kWait);
        QTRY_COMPARE_WITH_TIMEOUT(count_of(window_->routesPage(), "/users/{id:int}"), 5u, kWait);
    }

    // A failed request (the handler raises ValueError), its traceback in the Console.
    void send_failure() {
        QCOMPARE(http(net_, "POST", port(), "/boom", "payload-42").status, 500);
        QTRY_VERIFY_WITH_TIMEOUT(window_->consolePage()->text().contains("ValueError: studio saw this payload-42"), kWait);
    }

    // Picks a route in the Benchmark page's list, as a user does: the URL follows.
    void pick_route(const QString& label) {
        QComboBox* routes = window_->benchmarkPage()->routeChooser();
        QTRY_VERIFY_WITH_TIMEOUT(routes->findText(label) >= 0, kWait);
        const int index = routes->findText(label);
        routes->setCurrentIndex(index);
        Q_EMIT routes->activated(index);
    }

    // A timed run of `method path` from the Benchmark page (four connections, one thread; `rate`
    // requests a second, 0 for a closed loop), waited for until it is in the history.
    void run_benchmark(const QString& path, double seconds, double rate = 0, const QString& method = "GET",
                       const QString& body = {}) {
        auto* page = window_->benchmarkPage();
        page->urlEdit()->setText(QString("http://127.0.0.1:%1%2").arg(port()).arg(path));
        page->methodBox()->setCurrentText(method);
        page->bodyEdit()->setText(body);
        page->connectionsBox()->setValue(4);
        page->threadsBox()->setValue(1);
        page->durationBox()->setValue(seconds);
        page->rateBox()->setValue(rate);
        QSignalSpy saved(page, &BenchmarkPage::runSaved);
        QVERIFY2(page->run(), qPrintable(page->statusText()));
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kWait);
    }

    // A ceiling search on GET /users/1 in half-second steps, stopped after the probe and its first
    // ramp step (a whole search takes far longer); kept in the history as stopped early.
    void run_stopped_ceiling_search() {
        auto* page = window_->benchmarkPage();
        page->urlEdit()->setText(QString("http://127.0.0.1:%1/users/1").arg(port()));
        page->connectionsBox()->setValue(4);
        page->ceilingBox()->setChecked(true);
        page->durationBox()->setValue(0.5);
        QSignalSpy saved(page, &BenchmarkPage::runSaved);
        QSignalSpy steps(page, &BenchmarkPage::progressed);
        QVERIFY2(page->run(), qPrintable(page->statusText()));
        QTRY_VERIFY_WITH_TIMEOUT(steps.count() >= 2, kWait);
        page->stop();
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kWait);
        page->ceilingBox()->setChecked(false);
    }

    // Closed-loop floods of GET `path` (1 s each, two connections) until the Requests table has
    // taken in more successes than it keeps (5000): every row older than the first flood has left
    // it. A flood is far more requests than that, but at most 1000 rows reach the studio a poll
    // (the inspector keeps its last 1000), so how many one flood brings depends on how often a
    // loaded machine lets the studio poll. Returns the floods' summaries, oldest first.
    std::vector<inspector::bench::BenchSummary> flood_the_requests_table(const QString& path) {
        auto* bench = window_->benchmarkPage();
        auto& log = window_->requestsPage()->model();
        qsizetype taken_in = 0;
        QObject counter;  // the count's connection goes with it, however this returns
        connect(&log, &QAbstractItemModel::rowsInserted, &counter, [&](const QModelIndex&, int first, int last) {
            for (int r = first; r <= last; ++r) taken_in += log.row(r)->status < 400;
        });
        const auto turned_over = [&] { return taken_in > 5000; };
        bench->urlEdit()->setText(QString("http://127.0.0.1:%1%2").arg(port()).arg(path));
        bench->methodBox()->setCurrentText("GET");
        bench->connectionsBox()->setValue(2);
        bench->durationBox()->setValue(1);
        bench->rateBox()->setValue(0);
        QSignalSpy saved(bench, &BenchmarkPage::runSaved);
        std::vector<inspector::bench::BenchSummary> floods;
        while (!turned_over() && floods.size() < 10) {
            if (!bench->run()) break;
            if (!QTest::qWaitFor([&] { return saved.count() > static_cast<int>(floods.size()); }, kWait)) break;
            floods.push_back(bench->history().run(0)->summary);
            (void)QTest::qWaitFor(turned_over, 3 * StudioState::kPollMs);  // the run's last rows come with the next polls (checked below)
        }
        qInfo("%zu flood(s) of %s: %lld successes taken in by the Requests table", floods.size(), qPrintable(path),
              static_cast<long long>(taken_in));
        if (!turned_over()) QTest::qFail(qPrintable(QString("the Requests table took in %1 successes; %2")
                                                        .arg(taken_in).arg(bench->statusText())), __FILE__, __LINE__);
        return floods;
    }

    // `cello run app_ --inspect` in the background (with `extra` flags), answering on app_port.
    void start_headless(QProcess& server, int app_port, int api_port, const QString& token,
                        const QStringList& extra = {}) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("CELLO_INSPECT_TOKEN", token);
        server.setProcessEnvironment(env);
        server.setProcessChannelMode(QProcess::MergedChannels);
        server.start(QCoreApplication::applicationDirPath() + "/cello",
                     QStringList{"run", app_, "--port", QString::number(app_port), "--no-logs",
                                 QString("--inspect=127.0.0.1:%1").arg(api_port)} + extra);
        QVERIFY(server.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(http(net_, "GET", app_port, "/").status == 200, kWait);
        // The inspector too (a cluster's supervisor starts it once every worker serves).
        QTRY_VERIFY_WITH_TIMEOUT(http(net_, "GET", api_port, "/inspect/v1").status == 401, kWait);
    }

    QString status() const { return window_->findChild<QLabel*>("servingStatus")->text(); }

    // Runs `act` on the next modal dialog that opens (it runs its own event loop: the call that
    // opens it returns once `act` has closed it). The timer is the window's: one left waiting goes
    // with it, and cannot act on a later case's dialog.
    void on_next_dialog(std::function<void(QDialog*)> act) {
        auto* timer = new QTimer(window_.get());
        QObject::connect(timer, &QTimer::timeout, [timer, act = std::move(act)] {
            auto* dialog = qobject_cast<QDialog*>(QApplication::activeModalWidget());
            if (!dialog) return;
            timer->stop();
            timer->deleteLater();
            act(dialog);
        });
        timer->start(20);
    }

    // Clicks `button` on the next message box that opens; with a `shot` name, saves a screenshot of
    // the box first (studio-<shot>.png).
    void answer(QMessageBox::StandardButton button, const QString& shot = {}) {
        const QString file = shot.isEmpty() ? QString() : shots_ + "/studio-" + shot + ".png";
        on_next_dialog([button, file](QDialog* dialog) {
            auto* box = qobject_cast<QMessageBox*>(dialog);
            if (!box) {
                dialog->reject();
                QFAIL(qPrintable("not a message box: " + dialog->objectName()));
            }
            const bool saved = file.isEmpty() || box->grab().save(file);
            box->button(button)->click();
            QVERIFY2(saved, qPrintable(file));
        });
    }

    QString app_text() {
        QFile f(app_);
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    }

    // The test runner writes to the captured descriptors too (the last case's PASS, Qt's warnings
    // as the window shows): a line of this case's name marks where they end. Once it has come
    // through, the Console starts empty, as a user's does: its checks and its screenshot see the
    // app's output and the studio's, not the runner's.
    void start_with_an_empty_console() {
        if (!capture_) return;
        const QString marker = QString("--- studio_tests: %1").arg(QTest::currentTestFunction());
        bool through = false;
        QObject watch;
        connect(capture_, &OutputCapture::line, &watch, [&](const QString& text) { through = through || text.contains(marker); });
        std::printf("%s\n", qPrintable(marker));
        std::fflush(stdout);
        QVERIFY2(QTest::qWaitFor([&] { return through; }, kWait), "the captured output never came through");
        window_->consolePage()->findChild<QPushButton*>("consoleClear")->click();
        QVERIFY(window_->consolePage()->text().isEmpty());
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);  // QSettings go to a test location
        QVERIFY(suite_dir_.isValid());
        shots_ = qEnvironmentVariable("CELLO_SCREENSHOT_DIR", suite_dir_.path() + "/shots");
        QDir().mkpath(shots_);
        qputenv("PYTHONDONTWRITEBYTECODE", "1");
    }

    void init() {
        dir_.emplace();
        QVERIFY(dir_->isValid());
        QDir(dir_->path()).mkdir("site");
        app_ = dir_->path() + "/site/app.py";
        write_app(kApp);
        // The editor the Routes and Errors pages open: a script that records its arguments.
        const QString editor = dir_->path() + "/editor.sh";
        QFile e(editor);
        QVERIFY(e.open(QIODevice::WriteOnly));
        e.write(QString("#!/bin/sh\necho \"$@\" > %1/opened\n").arg(dir_->path()).toUtf8());
        e.close();
        e.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        qputenv("CELLO_EDITOR", QString("%1 --goto {file}:{line}").arg(editor).toUtf8());
        // Nothing remembered from an earlier case: layout, form, ports, recent apps, preferences.
        QSettings().clear();
        apply_theme(Preferences::load().theme);
        window_ = std::make_unique<MainWindow>(capture_);
        // Runs are kept in this case's own history, not in the test location's default one.
        QVERIFY2(window_->benchmarkPage()->openHistory(dir_->path() + "/bench-history.sqlite3"),
                 qPrintable(window_->benchmarkPage()->statusText()));
        QCOMPARE(window_->benchmarkPage()->history().rowCount(), 0);
        window_->show();
        // Every model the window shows (and every proxy in front of one) is checked by Qt's model
        // tester through the whole case: each signal it emits must leave the model consistent.
        for (auto* view : window_->findChildren<QTableView*>()) {
            QAbstractItemModel* model = view->model();
            while (model && !testers_.contains(model)) {
                testers_.insert(model, new QAbstractItemModelTester(model, QAbstractItemModelTester::FailureReportingMode::QtTest));
                auto* proxy = qobject_cast<QAbstractProxyModel*>(model);
                model = proxy ? proxy->sourceModel() : nullptr;
            }
        }
        QVERIFY2(testers_.size() >= 11, qPrintable(QString::number(testers_.size())));
        start_with_an_empty_console();
    }

    void cleanup() {
        // Our client's idle keep-alive connections go first: a stop gives each idle connection a
        // grace period (a request may be on its way) before closing it, about 2 s a case. And the
        // next case's requests open connections of their own.
        net_.clearConnectionCache();
        bool closed = true;
        if (window_) {
            // A case that failed during a run: closing asks whether to keep it; it is not kept.
            if (window_->benchmarkPage()->running()) answer(QMessageBox::Discard);
            closed = window_->close();  // stops the app (its handlers finish) and saves the layout:
                                        // the testers still watch the models through that
        }
        qDeleteAll(testers_);  // before the models they watch go
        testers_.clear();
        window_.reset();
        // Output the stopped app wrote last, and objects deleted later, go now: not into the next
        // case's window.
        QCoreApplication::sendPostedEvents();
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        dir_.reset();
        QVERIFY2(closed, "the window would not close");
    }

    void routesAppearWhenTheAppStarts() {
        RunSettings s;
        s.port = free_port();
        window_->setSettings(s);
        window_->openApp(app_);
        QCOMPARE(port(), s.port);
        QTRY_COMPARE_WITH_TIMEOUT(window_->routesPage()->model().rowCount(), 6, kWait);  // five routes and <unmatched>
        const auto* users = route(window_->routesPage(), "/users/{id:int}");
        QVERIFY(users);
        QCOMPARE(QString::fromStdString(users->info.name), QString("user"));
        QCOMPARE(QString::fromStdString(users->info.file), app_);
        QCOMPARE(users->info.line, 12);
        QVERIFY(route(window_->routesPage(), "/cached/{n}")->info.cached);
        // Console lines arrive in batches too: wait for each line, do not read once.
        QTRY_VERIFY_WITH_TIMEOUT(window_->consolePage()->text().contains("app module imported"), kWait);
        // Terminal colour codes are not text.
        QTRY_VERIFY_WITH_TIMEOUT(window_->consolePage()->text().contains("coloured output"), kWait);
        QVERIFY(!window_->consolePage()->text().contains(QChar(0x1b)));
        QVERIFY(!window_->consolePage()->text().contains("[32m"));
        // ...they are colours: the app's green is kept.
        QVERIFY(window_->consolePage()->findChild<QPlainTextEdit*>("consoleLog")->document()->toHtml().contains("#1d6f2b"));
        QTRY_VERIFY_WITH_TIMEOUT(window_->consolePage()->text().contains(QString("serving 5 routes on http://127.0.0.1:%1").arg(port())), kWait);
    }

    void requestsShowUpOnEveryPage() {
        SETUP(open_and_serve());
        SETUP(send_traffic());  // checks each answer: statuses, the cache's MISS then HITs

        // Routes: live counts and percentiles. Updates come in batches, and a loaded machine may
        // split these requests over several: wait for every number, do not read it once.
        QTRY_COMPARE_WITH_TIMEOUT(count_of(window_->routesPage(), "/users/{id:int}"), 5u, kWait);
        QTRY_COMPARE_WITH_TIMEOUT(count_of(window_->routesPage(), "/slow"), 4u, kWait);
        const auto* slow = route(window_->routesPage(), "/slow");
        QVERIFY2(slow->stats.total.p50_ns >= 19'000'000, qPrintable(QString::number(slow->stats.total.p50_ns)));
        QVERIFY(slow->stats.total.p99_ns >= slow->stats.total.p50_ns);
        QTRY_COMPARE_WITH_TIMEOUT(route(window_->routesPage(), "/cached/{n}")->stats.cache_hits, 2u, kWait);
        QTRY_COMPARE_WITH_TIMEOUT(route(window_->routesPage(), "/cached/{n}")->stats.cache_misses, 1u, kWait);
        const int hit_col = RoutesModel::HitRatio;
        auto& rm = window_->routesPage()->model();
        const auto ratio_shown = [&] {
            for (int i = 0; i < rm.rowCount(); ++i)
                if (rm.data(rm.index(i, hit_col), Qt::DisplayRole).toString() == "66.7 %") return true;
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(ratio_shown(), kWait);

        // Requests: every one, in order, with the cache outcome.
        auto& log = window_->requestsPage()->model();
        QTRY_COMPARE_WITH_TIMEOUT(log.rowCount(), 13, kWait);
        QCOMPARE(QString::fromStdString(log.row(0)->path), QString("/users/0"));
        QCOMPARE(QString::fromStdString(log.row(10)->cache), QString("HIT"));
        QCOMPARE(log.row(12)->status, 404);

        // Latency: a point per second for p50/p99, and the histogram of the chosen route.
        window_->showPage(MainWindow::Latency);
        QTRY_VERIFY_WITH_TIMEOUT(window_->latencyPage()->p50PointCount() >= 1, kWait);
        QComboBox* chooser = window_->latencyPage()->routeChooser();
        const int slow_index = chooser->findText("GET /slow");
        QVERIFY(slow_index >= 0);
        chooser->setCurrentIndex(slow_index);
        QTRY_COMPARE_WITH_TIMEOUT(window_->latencyPage()->histogramTotal(), 4.0, kWait);
        save("latency");

        // Cache: per-route and per-tag counters.
        window_->showPage(MainWindow::Cache);
        QTRY_COMPARE_WITH_TIMEOUT(window_->cachePage()->tags().rowCount(), 1, kWait);
        auto& tags = window_->cachePage()->tags();
        QCOMPARE(tags.data(tags.index(0, CacheModel::Label), Qt::DisplayRole).toString(), QString("users"));
        QTRY_COMPARE_WITH_TIMEOUT(tags.data(tags.index(0, CacheModel::Hits), Qt::DisplayRole).toULongLong(), 2u, kWait);
        QTRY_COMPARE_WITH_TIMEOUT(tags.data(tags.index(0, CacheModel::Stores), Qt::DisplayRole).toULongLong(), 1u, kWait);
        save("cache");
        window_->showPage(MainWindow::Routes);
        save("routes");
    }

    void aFailedRequestShowsItsTraceback() {
        SETUP(open_and_serve());
        SETUP(send_traffic());  // the requests filtered below, beside the failure
        QCOMPARE(http(net_, "POST", port(), "/boom", "payload-42").status, 500);
        window_->showPage(MainWindow::Requests);
        auto* page = window_->requestsPage();
        QTRY_VERIFY_WITH_TIMEOUT(page->model().rowCount() >= 14, kWait);
        page->filter().setStatusClass(5);
        QCOMPARE(page->filter().rowCount(), 1);
        auto* table = page->findChild<QTableView*>("requestsTable");
        table->setCurrentIndex(page->filter().index(0, 0));
        QTRY_VERIFY_WITH_TIMEOUT(page->details().contains("ValueError: studio saw this payload-42"), kWait);
        QVERIFY(page->details().contains("Traceback (most recent call last)"));
        QVERIFY(page->details().contains("raise ValueError"));
        QVERIFY(page->details().contains("payload-42"));       // body preview
        QVERIFY(page->details().contains("Content-Length: 10"));  // request headers
        save("requests");
        page->filter().setStatusClass(0);
        page->filter().setText("users/3");
        QCOMPARE(page->filter().rowCount(), 1);
        // A successful request: the studio captures headers of every request it serves.
        table->setCurrentIndex(page->filter().index(0, 0));
        QTRY_VERIFY_WITH_TIMEOUT(page->details().contains("GET /users/3"), kWait);
        QVERIFY2(page->details().contains("User-Agent: "), qPrintable(page->details()));
        QVERIFY(page->details().contains("Content-Type: application/json"));  // the response's
        page->filter().setText({});
        page->filter().setRoute("GET /slow");
        QCOMPARE(page->filter().rowCount(), 4);
        page->filter().setRoute({});
        // The engine's own report of it, in the Console, as an error (one event: the traceback it printed).
        QTRY_VERIFY_WITH_TIMEOUT(window_->consolePage()->text().contains("ValueError: studio saw this payload-42"), kWait);
    }

    void invalidatingATagEmptiesIt() {
        SETUP(open_and_serve());
        QCOMPARE(http(net_, "GET", port(), "/cached/1").header("x-cache"), QByteArray("MISS"));
        QCOMPARE(http(net_, "GET", port(), "/cached/1").header("x-cache"), QByteArray("HIT"));  // kept, under "users"
        window_->cachePage()->invalidate("users");
        QTRY_COMPARE_WITH_TIMEOUT(window_->cachePage()->lastResult(), QString("1 cache entries invalidated"), kWait);
        QCOMPARE(http(net_, "GET", port(), "/cached/1").header("x-cache"), QByteArray("MISS"));
    }

    void editingTheAppReloadsItAndRoutesChange() {
        SETUP(open_and_serve());
        SETUP(send_traffic());  // numbers to keep across the reload
        const QString good = app_text();
        const auto reloaded_lines = [this] { return window_->consolePage()->text().count(QRegularExpression("cello: reloaded 6 routes in [0-9.]+ ms")); };
        const auto reloads_before = reloaded_lines();
        write_app(good + "\n@app.get(\"/added\")\ndef added(request):\n    return \"added\"\n");
        QTRY_VERIFY_WITH_TIMEOUT(route(window_->routesPage(), "/added") != nullptr, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(reloaded_lines() > reloads_before, kWait);
        QCOMPARE(http(net_, "GET", port(), "/added").body, QByteArray("added"));
        QCOMPARE(count_of(window_->routesPage(), "/users/{id:int}"), 5u);  // numbers kept across the reload

        // A syntax error: the old code keeps serving, the Console shows the traceback.
        write_app(good + "\ndef broken(:\n");
        QTRY_VERIFY_WITH_TIMEOUT(window_->consolePage()->text().contains("cello: reload failed"), kWait);
        QTRY_VERIFY_WITH_TIMEOUT(window_->consolePage()->text().contains("SyntaxError"), kWait);
        QCOMPARE(http(net_, "GET", port(), "/added").body, QByteArray("added"));
        // The status bar does not claim the code is current.
        QTRY_VERIFY_WITH_TIMEOUT(status().contains("FAILED") && status().contains("SyntaxError") &&
                                     status().contains("the previous code still serves"),
                                 kWait);
        window_->showPage(MainWindow::Console);
        save("console");

        write_app(good);  // the route goes away again
        QTRY_VERIFY_WITH_TIMEOUT(route(window_->routesPage(), "/added") && !route(window_->routesPage(), "/added")->live, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(status().contains("reloads on save") && !status().contains("FAILED"), kWait);
        QCOMPARE(http(net_, "GET", port(), "/added").status, 404);
    }

    void doubleClickOpensTheHandlerAtItsLine() {
        SETUP(open_and_serve());
        window_->showPage(MainWindow::Routes);
        auto* table = window_->routesPage()->findChild<QTableView*>("routesTable");
        auto& m = window_->routesPage()->model();
        int row = -1;
        for (int i = 0; i < m.rowCount(); ++i)
            if (m.row(i)->info.pattern == "/users/{id:int}") row = i;
        QVERIFY(row >= 0);
        const QRect cell = table->visualRect(
            qobject_cast<QSortFilterProxyModel*>(table->model())->mapFromSource(m.index(row, RoutesModel::Pattern)));
        // As a mouse does it: a press and release, then the double-click.
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QFile opened(dir_->path() + "/opened");
        QTRY_VERIFY_WITH_TIMEOUT(opened.exists() && opened.size() > 0, kWait);
        QVERIFY(opened.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(opened.readAll()).trimmed(), QString("--goto %1:12").arg(app_));
        QTRY_VERIFY_WITH_TIMEOUT(status().contains("Opened app.py:12 with $CELLO_EDITOR"), kWait);

        // Without CELLO_EDITOR: the desktop's handler, or why nothing opened; either way it says so.
        const QByteArray editor = qgetenv("CELLO_EDITOR");
        qunsetenv("CELLO_EDITOR");
        QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QTRY_VERIFY_WITH_TIMEOUT(status().contains("app.py") && status().contains("CELLO_EDITOR") &&
                                     !status().contains("with $CELLO_EDITOR"),
                                 kWait);
        qputenv("CELLO_EDITOR", editor);
    }

    // Item 17: request details as DevTools gives them: the response body readable, the traceback
    // first for a failure, copy as curl (which works), replay, HAR export of the selection.
    void requestDetailsCopyReplayAndExport() {
        SETUP(open_and_serve());
        QCOMPARE(http(net_, "POST", port(), "/boom", "payload-42").status, 500);  // the failure looked at last
        window_->showPage(MainWindow::Requests);
        auto* page = window_->requestsPage();
        auto* table = page->findChild<QTableView*>("requestsTable");
        QCOMPARE(http(net_, "GET", port(), "/?n=1").status, 200);
        QCOMPARE(http(net_, "GET", port(), "/?n=2").status, 200);
        const auto rows_of = [&](const QString& target) {
            QList<int> rows;
            for (int r = 0; r < table->model()->rowCount(); ++r) {
                const auto* row = page->model().row(page->filter().mapToSource(table->model()->index(r, 0)).row());
                if (row && QString::fromStdString(row->target) == target) rows << r;
            }
            return rows;
        };
        QTRY_VERIFY_WITH_TIMEOUT(rows_of("/?n=1").size() == 1 && rows_of("/?n=2").size() == 1, kWait);
        table->selectionModel()->clearSelection();
        table->selectRow(rows_of("/?n=1").first());
        QTRY_VERIFY_WITH_TIMEOUT(page->details().startsWith("GET /?n=1"), kWait);
        // The body as indented JSON, its size said.
        QVERIFY2(page->details().contains("Response body (13 bytes, JSON):\n{\n  \"version\": 1\n}"), qPrintable(page->details()));

        const QString curl = page->copyAsCurl();
        QVERIFY2(curl.startsWith("curl -i ") && curl.endsWith(QString("'http://127.0.0.1:%1/?n=1'").arg(port())), qPrintable(curl));
        QCOMPARE(QGuiApplication::clipboard()->text(), curl);
        QProcess shell;  // the command really sends it
        shell.start("/bin/sh", {"-c", curl});
        QVERIFY(shell.waitForFinished(kWait));
        QVERIFY2(shell.readAllStandardOutput().contains("{\"version\":1}"), qPrintable(curl));

        QVERIFY(page->replay());
        QTRY_VERIFY_WITH_TIMEOUT(status().contains("Replayed GET /: 200"), kWait);
        QTRY_COMPARE_WITH_TIMEOUT(rows_of("/?n=1").size(), 3, kWait);  // the curl's and the replay's

        table->selectionModel()->clearSelection();
        table->selectRow(rows_of("/?n=1").first());
        table->selectionModel()->select(table->model()->index(rows_of("/?n=2").first(), 0),
                                        QItemSelectionModel::Select | QItemSelectionModel::Rows);
        const QString har_path = dir_->path() + "/requests.har";
        QVERIFY(page->findChild<QPushButton*>("exportHar")->isEnabled());
        QVERIFY(page->exportHar(har_path));
        QFile har_file(har_path);
        QVERIFY(har_file.open(QIODevice::ReadOnly));
        const QJsonObject har = QJsonDocument::fromJson(har_file.readAll()).object();
        const QJsonArray entries = har["log"].toObject()["entries"].toArray();
        QCOMPARE(entries.size(), 2);
        QCOMPARE(entries[0].toObject()["request"].toObject()["url"].toString(), QString("http://127.0.0.1:%1/?n=1").arg(port()));
        QCOMPARE(entries[1].toObject()["request"].toObject()["url"].toString(), QString("http://127.0.0.1:%1/?n=2").arg(port()));
        QCOMPARE(entries[0].toObject()["response"].toObject()["content"].toObject()["text"].toString(), QString("{\"version\":1}"));
        QCOMPARE(har["log"].toObject()["version"].toString(), QString("1.2"));

        // A failed request: its traceback before its headers.
        page->filter().setStatusClass(5);
        QTRY_VERIFY_WITH_TIMEOUT(page->filter().rowCount() >= 1, kWait);
        table->selectionModel()->clearSelection();
        table->selectRow(0);
        QTRY_VERIFY_WITH_TIMEOUT(page->details().contains("Traceback"), kWait);
        QVERIFY(page->details().indexOf("Traceback") < page->details().indexOf("Request headers:"));
        page->filter().setStatusClass(0);
    }

    // Item 17: the response body as DevTools shows it, three more ways: a binary body as a hex dump,
    // plain text as it is, and a JSON body past the 8 KiB the engine keeps of it, with its whole
    // size and how much of it is shown.
    void requestDetailsShowBinaryTextAndTruncatedBodies() {
        SETUP(open_and_serve());
        write_app(app_text() + kBodyRoutes);
        QTRY_VERIFY_WITH_TIMEOUT(route(window_->routesPage(), "/body/large") != nullptr, kWait);
        const Reply binary = http(net_, "GET", port(), "/body/binary");
        const Reply text = http(net_, "GET", port(), "/body/text");
        const Reply large = http(net_, "GET", port(), "/body/large");
        QCOMPARE(binary.status, 200);
        QCOMPARE(binary.body.size(), 40);
        QCOMPARE(text.body, QByteArray("plain words\nsecond line"));
        QVERIFY2(large.body.size() > 8192, qPrintable(QString::number(large.body.size())));
        window_->showPage(MainWindow::Requests);
        auto* page = window_->requestsPage();
        auto* table = page->findChild<QTableView*>("requestsTable");
        const auto row_of = [&](const QString& path) {
            for (int r = table->model()->rowCount() - 1; r >= 0; --r)
                if (table->model()->index(r, RequestsModel::Path).data().toString() == path) return r;
            return -1;
        };
        QTRY_VERIFY_WITH_TIMEOUT(row_of("/body/binary") >= 0 && row_of("/body/text") >= 0 && row_of("/body/large") >= 0, kWait);

        table->selectRow(row_of("/body/binary"));
        QTRY_VERIFY_WITH_TIMEOUT(page->details().startsWith("GET /body/binary"), kWait);
        QVERIFY2(page->details().contains("Content-Type: application/octet-stream"), qPrintable(page->details()));
        // 16 bytes a line: offset, hex, the printable characters.
        QVERIFY2(page->details().contains("Response body (40 bytes, binary):\n"
                                          "00000000  89 50 4e 47 0d 0a 1a 0a 00 01 02 03 04 05 06 07  .PNG............\n"),
                 qPrintable(page->details()));
        QVERIFY2(page->details().contains("00000020  18 19 1a 1b 1c 1d 1e 1f"), qPrintable(page->details()));

        table->selectRow(row_of("/body/text"));
        QTRY_VERIFY_WITH_TIMEOUT(page->details().startsWith("GET /body/text"), kWait);
        QVERIFY2(page->details().contains(QString("Response body (%1 bytes, text):\nplain words\nsecond line\n").arg(text.body.size())),
                 qPrintable(page->details()));

        table->selectRow(row_of("/body/large"));
        QTRY_VERIFY_WITH_TIMEOUT(page->details().startsWith("GET /body/large"), kWait);
        const QString details = page->details();
        QVERIFY2(details.contains(QString("Response body (%1 bytes, ").arg(large.body.size())) &&
                     details.contains("; the first 8192 shown):\n{\"items\":[{\"n\":0,"),
                 qPrintable(details.left(2000)));
        QVERIFY(details.contains("item 0000"));
        QVERIFY2(!details.contains("item 0599"), "the body past its first 8 KiB is not shown");
    }

    // Issue 20: the Requests page says which protocol each request came over (HTTP/1.1, and HTTP/2
    // from curl's h2c with prior knowledge, on the same port).
    void requestsShowTheirProtocol() {
        SETUP(open_and_serve());
        QCOMPARE(http(net_, "GET", port(), "/over-http1").status, 404);
        QProcess curl;
        curl.start("curl", {"-s", "--http2-prior-knowledge", QString("http://127.0.0.1:%1/over-http2").arg(port())});
        QVERIFY2(curl.waitForFinished(30000) && curl.exitCode() == 0, qPrintable(curl.readAllStandardError()));
        auto& log = window_->requestsPage()->model();
        const auto protocol_of = [&log](const char* path) {
            for (int r = log.rowCount() - 1; r >= 0; --r)
                if (log.row(r)->path == path) return log.index(r, RequestsModel::Protocol).data().toString();
            return QString();
        };
        QTRY_COMPARE_WITH_TIMEOUT(protocol_of("/over-http1"), QString("HTTP/1.1"), kWait);
        QTRY_COMPARE_WITH_TIMEOUT(protocol_of("/over-http2"), QString("HTTP/2"), kWait);
        QVERIFY(log.headerData(RequestsModel::Protocol, Qt::Horizontal, Qt::ToolTipRole).toString().contains("TLS"));
    }

    // Item 15: one request (a 404 here: unmatched requests are logged and listed too), one latency and one size, in the request log and on the Requests page.
    void theLogAndTheRequestsPageGiveTheSameFigures() {
        SETUP(open_and_serve());
        QCOMPARE(http(net_, "GET", port(), "/log-figures").status, 404);
        const QRegularExpression logged("\"GET /log-figures\" 404 (\\d+)B ([0-9.]+)ms");
        QRegularExpressionMatch m;
        QTRY_VERIFY_WITH_TIMEOUT((m = logged.match(window_->consolePage()->text())).hasMatch(), kWait);
        auto& log = window_->requestsPage()->model();
        int row = -1;
        QTRY_VERIFY_WITH_TIMEOUT([&] {
            for (int r = log.rowCount() - 1; r >= 0 && row < 0; --r)
                if (log.row(r)->path == "/log-figures") row = r;
            return row >= 0;
        }(), kWait);
        QCOMPARE(log.index(row, RequestsModel::Latency).data().toString(), m.captured(2));
        QCOMPARE(log.index(row, RequestsModel::Bytes).data().toString(), m.captured(1));
        QVERIFY(log.headerData(RequestsModel::Bytes, Qt::Horizontal, Qt::ToolTipRole).toString().contains("headers and body"));
    }

    // Items 13 and 19: stdout and stderr in the order written; one line per event; search, filters
    // by source and level, pause and save.
    void theConsoleKeepsOrderAndFilters() {
        SETUP(open_and_serve());
        SETUP(send_failure());  // a traceback for the level filter to keep
        auto* console = window_->consolePage();
        const QString good = app_text();
        const auto reloads_before = console->text().count("reloaded");
        write_app(good + "\n\nimport sys\n\n@app.get(\"/interleave\")\ndef interleave(request):\n"
                         "    for i in range(200):\n"
                         "        print(f\"out {i}\", flush=True)\n"
                         "        print(f\"err {i}\", file=sys.stderr, flush=True)\n"
                         "    return \"done\"\n");
        QTRY_VERIFY_WITH_TIMEOUT(route(window_->routesPage(), "/interleave") != nullptr, kWait);
        // One reload, one line: the engine's (the studio adds none of its own for its own app).
        QTRY_VERIFY_WITH_TIMEOUT(console->text().count("reloaded") == reloads_before + 1, kWait);
        QTest::qWait(3 * StudioState::kPollMs);  // a duplicate would come with the next polls
        QCOMPARE(console->text().count("reloaded"), reloads_before + 1);
        QCOMPARE(http(net_, "GET", port(), "/interleave").status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(console->text().contains("err 199"), kWait);
        // The request log's line is written once the response is: it may trail the handler's output.
        QTRY_VERIFY_WITH_TIMEOUT(console->text().contains("\"GET /interleave\" 200"), kWait);
        QStringList order;
        const QRegularExpression pair("^\\S+ ((?:out|err) \\d+)$", QRegularExpression::MultilineOption);
        for (auto it = pair.globalMatch(console->text()); it.hasNext();) order << it.next().captured(1);
        QStringList expected;
        for (int i = 0; i < 200; ++i) expected << QString("out %1").arg(i) << QString("err %1").arg(i);
        QCOMPARE(order, expected);

        console->setSearch("err 17");
        QStringList shown = console->shownText().split('\n');
        QCOMPARE(shown.size(), 11);  // err 17, err 170..179
        for (const auto& l : shown) QVERIFY2(l.contains("err 17"), qPrintable(l));
        console->setSearch({});
        console->setSource(static_cast<int>(LineSource::Requests));
        QVERIFY(console->shownText().contains("\"GET /interleave\" 200"));
        for (const auto& l : console->shownText().split('\n'))
            QVERIFY2(l.contains(QRegularExpression("\"[A-Z]+ \\S+\" \\d{3} \\d+B")), qPrintable(l));
        // The request log in a neutral grey.
        QVERIFY(console->findChild<QPlainTextEdit*>("consoleLog")->document()->toHtml().contains("#707070"));
        console->setSource(-1);
        console->setMinimumLevel(LineLevel::Error);
        QVERIFY(console->shownText().contains("ValueError: studio saw this payload-42"));
        QVERIFY(console->shownText().contains("Traceback (most recent call last):"));
        QVERIFY(!console->shownText().contains("out 5"));
        QVERIFY(!console->shownText().contains("\"GET /interleave\" 200"));
        console->setMinimumLevel(LineLevel::Info);

        console->setPaused(true);
        QCOMPARE(http(net_, "GET", port(), "/paused-31337").status, 404);
        auto* note = console->findChild<QLabel*>("consolePausedNote");
        QTRY_VERIFY_WITH_TIMEOUT(console->text().contains("/paused-31337"), kWait);  // kept (its log line)...
        QVERIFY(note->text().contains("new lines") && !note->text().contains(" 0 new"));
        QVERIFY(!console->shownText().contains("/paused-31337"));    // ...not scrolled in
        console->setPaused(false);
        QVERIFY(console->shownText().contains("/paused-31337"));
        QVERIFY(note->text().isEmpty());

        const QString saved = dir_->path() + "/console.txt";
        QVERIFY(console->saveTo(saved));
        QFile f(saved);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString content = QString::fromUtf8(f.readAll());
        QVERIFY(content.contains("err 199") && content.contains("/paused-31337"));
        QVERIFY(!console->saveTo(dir_->path() + "/no-such-dir/console.txt"));
        write_app(good);
        QTRY_VERIFY_WITH_TIMEOUT(!route(window_->routesPage(), "/interleave")->live, kWait);
    }

    // Item 18: tables sort by any column (numbers as numbers) and filter; Routes has 4xx, 5xx and
    // an error rate, "Hit ratio" by its name, and a context menu that acts on the route.
    void tablesSortFilterAndActOnRoutes() {
        SETUP(open_and_serve());
        SETUP(send_traffic());  // counts to sort, a 404, a cache tag to filter
        SETUP(send_failure());  // a 5xx
        QTRY_COMPARE_WITH_TIMEOUT(window_->cachePage()->tags().rowCount(), 1, kWait);
        window_->showPage(MainWindow::Routes);
        auto* table = window_->routesPage()->table();
        auto* view = table->model();
        const auto column = [&](int c) { return view->headerData(c, Qt::Horizontal).toString(); };
        QCOMPARE(column(RoutesModel::HitRatio), QString("Hit ratio"));
        QCOMPARE(column(RoutesModel::Errors4xx), QString("4xx"));
        QCOMPARE(column(RoutesModel::ErrorRate), QString("Error rate"));
        // Sensible widths: no header is cut off, and the route pattern has room for a real one.
        const QFontMetrics header_font(table->horizontalHeader()->font());
        for (int c = 0; c < RoutesModel::ColumnCount; ++c)
            QVERIFY2(table->columnWidth(c) >= header_font.horizontalAdvance(column(c)) + 8, qPrintable(column(c)));
        QVERIFY(table->columnWidth(RoutesModel::Pattern) >= header_font.horizontalAdvance("/users/{id:int}/orders") + 8);
        const auto find = [&](const QString& pattern) {
            for (int r = 0; r < view->rowCount(); ++r)
                if (view->index(r, RoutesModel::Pattern).data().toString() == pattern) return r;
            return -1;
        };
        QTRY_VERIFY_WITH_TIMEOUT(find("/boom") >= 0 && view->index(find("/boom"), RoutesModel::Errors5xx).data().toInt() >= 1, kWait);
        QCOMPARE(view->index(find("/boom"), RoutesModel::ErrorRate).data().toString(), QString("100.0 %"));
        QVERIFY(view->index(find("<unmatched>"), RoutesModel::Errors4xx).data().toInt() >= 1);
        // Sorted by count, highest first: numbers, not text.
        table->sortByColumn(RoutesModel::Count, Qt::DescendingOrder);
        for (int r = 1; r < view->rowCount(); ++r)
            QVERIFY(view->index(r - 1, RoutesModel::Count).data().toULongLong() >= view->index(r, RoutesModel::Count).data().toULongLong());
        table->sortByColumn(RoutesModel::P99, Qt::AscendingOrder);
        for (int r = 1; r < view->rowCount(); ++r) {
            const QString a = view->index(r - 1, RoutesModel::P99).data().toString(), b = view->index(r, RoutesModel::P99).data().toString();
            if (!a.isEmpty() && !b.isEmpty()) QVERIFY2(a.toDouble() <= b.toDouble(), qPrintable(a + " > " + b));
        }
        auto* filter = window_->routesPage()->findChild<QLineEdit*>("routesTableFilter");
        filter->setText("cached");
        QCOMPARE(view->rowCount(), 1);
        QCOMPARE(view->index(0, RoutesModel::Pattern).data().toString(), QString("/cached/{n}"));
        filter->clear();
        table->sortByColumn(-1, Qt::AscendingOrder);

        // Right-click a route: copy its URL, its curl command, benchmark it.
        auto& m = window_->routesPage()->model();
        int users = -1;
        for (int r = 0; r < m.rowCount(); ++r)
            if (m.row(r)->info.pattern == "/users/{id:int}") users = r;
        QMenu* menu = window_->routesPage()->contextMenu(users);
        QVERIFY(menu);
        const auto action = [&](const QString& text) -> QAction* {
            for (QAction* a : menu->actions())
                if (a->text() == text) return a;
            return nullptr;
        };
        const QString url = QString("http://127.0.0.1:%1/users/1").arg(port());
        QVERIFY(action("Open handler") && action("Open handler")->isEnabled());
        action("Copy URL")->trigger();
        QCOMPARE(QGuiApplication::clipboard()->text(), url);
        action("Copy as curl")->trigger();
        QCOMPARE(QGuiApplication::clipboard()->text(), QString("curl -i '%1'").arg(url));
        QVERIFY(status().contains("Copied curl"));
        action("Benchmark this route")->trigger();
        QCOMPARE(window_->currentPage(), MainWindow::Benchmark);
        QCOMPARE(window_->benchmarkPage()->urlEdit()->text(), url);
        delete menu;

        // The other tables sort and filter too.
        for (const char* name : {"cacheRoutesTable", "cacheTagsTable", "workersTable", "benchHistory", "errorGroupsTable", "requestsTable"}) {
            auto* t = window_->findChild<QTableView*>(name);
            QVERIFY2(t && t->isSortingEnabled(), name);
        }
        for (const char* name : {"cacheRoutesTableFilter", "cacheTagsTableFilter", "workersTableFilter", "benchHistoryFilter",
                                 "errorGroupsTableFilter"})
            QVERIFY2(window_->findChild<QLineEdit*>(name), name);
        auto* tags = window_->findChild<QTableView*>("cacheTagsTable");
        window_->findChild<QLineEdit*>("cacheTagsTableFilter")->setText("no-such-tag");
        QCOMPARE(tags->model()->rowCount(), 0);
        window_->findChild<QLineEdit*>("cacheTagsTableFilter")->clear();
        QVERIFY(tags->model()->rowCount() >= 1);
    }

    void staysResponsiveUnderLoad() {
        SETUP(open_and_serve());
        // Another process hammers the app over keep-alive connections for 2 s (and at least 50
        // requests per connection, however slow a loaded machine is) while the window draws.
        // Updates come in batches (5 a second), and the event loop never stalls.
        QProcess load;
        load.start("/usr/bin/python3", {"-c", QString(R"(
import http.client, threading, time
def run():
    c = http.client.HTTPConnection("127.0.0.1", %1, timeout=30)
    end, n = time.monotonic() + 2, 0
    while time.monotonic() < end or n < 50:
        c.request("GET", "/users/7"); c.getresponse().read(); n += 1
ts = [threading.Thread(target=run) for _ in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
)").arg(port())});
        QVERIFY(load.waitForStarted());
        int updates = 0;
        auto conn = connect(&window_->state(), &StudioState::updated, this, [&] { ++updates; });
        StallMeter stalls;
        window_->showPage(MainWindow::Requests);
        QTRY_VERIFY_WITH_TIMEOUT(load.state() == QProcess::NotRunning, kWait);
        const double seconds = stalls.seconds();
        disconnect(conn);
        qInfo("under load: %d updates in %.1f s, worst event-loop gap %lld ms", updates, seconds, stalls.worst_gap);
        QCOMPARE(load.exitCode(), 0);
        QVERIFY2(updates <= seconds * 6 + 2, qPrintable(QString("%1 updates in %2 s").arg(updates).arg(seconds)));
        QVERIFY2(updates >= 2, qPrintable(QString("%1 updates in %2 s").arg(updates).arg(seconds)));
        QVERIFY2(stalls.worst_gap < kMaxStallMs, qPrintable(QString("event loop stalled %1 ms").arg(stalls.worst_gap)));
        QTRY_VERIFY_WITH_TIMEOUT(count_of(window_->routesPage(), "/users/{id:int}") >= 200, kWait);  // 4 x 50 at least
        window_->showPage(MainWindow::Latency);
        // The route the load hit: its histogram holds every one of those requests.
        QComboBox* chooser = window_->latencyPage()->routeChooser();
        QTRY_VERIFY_WITH_TIMEOUT(chooser->findText("GET /users/{id:int}") >= 0, kWait);
        chooser->setCurrentIndex(chooser->findText("GET /users/{id:int}"));
        save("latency");  // again, with seconds of traffic to draw
    }

    void aBenchmarkRunsFromItsPageAndIsKept() {
        // A 2 s run against the studio's own app, picked from its routes: live samples while it
        // runs, a summary at the end, the run in the history table and in the SQLite file.
        SETUP(open_and_serve());
        auto* page = window_->benchmarkPage();
        const QString db = page->historyPath();  // the case's own, empty (init)
        QCOMPARE(db, dir_->path() + "/bench-history.sqlite3");
        QCOMPARE(page->history().rowCount(), 0);
        window_->showPage(MainWindow::Benchmark);
        SETUP(pick_route("GET /users/{id:int}"));
        QCOMPARE(page->urlEdit()->text(), QString("http://127.0.0.1:%1/users/1").arg(port()));
        page->connectionsBox()->setValue(4);
        page->threadsBox()->setValue(1);
        page->durationBox()->setValue(2);
        page->rateBox()->setValue(0);
        const auto served_before = count_of(window_->routesPage(), "/users/{id:int}");

        QSignalSpy saved(page, &BenchmarkPage::runSaved);
        int live_before_end = 0;
        QString live_status;
        auto conn = connect(page, &BenchmarkPage::progressed, this, [&] {
            if (!saved.isEmpty()) return;
            ++live_before_end;
            if (live_status.isEmpty()) live_status = page->statusText();  // the first sample's
        });
        StallMeter stalls;
        QTest::mouseClick(page->findChild<QPushButton*>("benchRun"), Qt::LeftButton);
        QVERIFY2(page->running(), qPrintable(page->statusText()));
        QTRY_VERIFY_WITH_TIMEOUT(live_before_end >= 1, kWait);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kWait);
        QVERIFY2(live_status.startsWith("Second 1 of 2"), qPrintable(live_status));
        stalls.tick.stop();
        disconnect(conn);
        QVERIFY(!page->running());
        qInfo("benchmark: worst event-loop gap %lld ms", stalls.worst_gap);
        QVERIFY2(stalls.worst_gap < kMaxStallMs, qPrintable(QString("event loop stalled %1 ms").arg(stalls.worst_gap)));
        const qint64 id = saved.at(0).at(0).toLongLong();

        // The summary and the history row.
        QVERIFY2(page->summary().contains("Requests/sec:"), qPrintable(page->summary()));
        QVERIFY(page->summary().contains("p99.9"));
        QVERIFY(page->summary().contains("Errors: 0"));
        QCOMPARE(page->history().rowCount(), 1);
        const auto* run = page->history().run(0);
        QCOMPARE(run->id, id);
        // The latency distribution holds every request of the run, in bands.
        QCOMPARE(page->distributionCount(), run->summary.requests);
        QVERIFY2(page->distributionTitle().endsWith(QString("run #%1").arg(id)), qPrintable(page->distributionTitle()));  // saved: it is run #id now
        QVERIFY(run->summary.requests > 0);
        QVERIFY(run->summary.requests_per_sec > 0);
        QVERIFY(run->summary.p99_ns >= run->summary.p50_ns);
        QCOMPARE(run->summary.errors.total(), 0u);
        QCOMPARE(run->settings.connections, 4u);
        QCOMPARE(QString::fromStdString(run->app_file), app_);
        // The commit is recorded exactly when the app's folder is in a git work tree.
        QProcess git;
        git.start("git", {"-C", QFileInfo(app_).absolutePath(), "rev-parse", "HEAD"});
        const bool in_repo = git.waitForFinished(5000) && git.exitCode() == 0;
        QCOMPARE(static_cast<bool>(run->git_commit), in_repo);
        if (in_repo) QCOMPARE(QString::fromStdString(*run->git_commit), QString::fromUtf8(git.readAllStandardOutput()).trimmed());
        // The requests reached the handler (the server counts at least what the client got back).
        QTRY_VERIFY_WITH_TIMEOUT(count_of(window_->routesPage(), "/users/{id:int}") >= served_before + run->summary.requests, kWait);

        // In the SQLite file, with the full report (histogram included).
        {
            inspector::bench::BenchHistory file(db.toStdString());
            const auto runs = file.list();
            QCOMPARE(runs.size(), std::size_t{1});
            QCOMPARE(runs[0].id, id);
            const auto full = file.load(id);
            QVERIFY(full);
            QVERIFY(QString::fromStdString(full->report_json).contains("\"histogram\""));
        }

        // Export without dialogs.
        const QString json = dir_->path() + "/run.json", csv = dir_->path() + "/runs.csv";
        QVERIFY(page->exportJson(id, json));
        QFile jf(json);
        QVERIFY(jf.open(QIODevice::ReadOnly));
        const QJsonObject exported = QJsonDocument::fromJson(jf.readAll()).object();
        QCOMPARE(exported.value("id").toInteger(), id);
        QVERIFY(exported.value("report").toObject().contains("histogram"));

        // A second, open-loop run; two selected runs side by side.
        page->durationBox()->setValue(1);
        page->rateBox()->setValue(200);
        QVERIFY2(page->run(), qPrintable(page->statusText()));
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 2, kWait);
        const qint64 id2 = saved.at(1).at(0).toLongLong();
        QCOMPARE(page->history().rowCount(), 2);
        QVERIFY(page->exportCsv({id, id2}, csv));
        QFile cf(csv);
        QVERIFY(cf.open(QIODevice::ReadOnly));
        QCOMPARE(cf.readAll().count("\r\n"), 3);  // header and two runs
        page->selectRuns({id, id2});
        QTRY_VERIFY_WITH_TIMEOUT(page->comparison().rowCount() > 5, kWait);
        QCOMPARE(QString::fromStdString(page->comparison().row(0)->label), QString("req/s"));
        QVERIFY(page->comparison().row(0)->ratio > 0);
        save("benchmark");
    }

    void aCeilingSearchRunsFromThePageAndStops() {
        // "Find the ceiling" on a worker thread: steps show up as they finish; Stop ends the search
        // and what was measured is still kept (as a ceiling run, stopped early).
        SETUP(open_and_serve());
        window_->showPage(MainWindow::Benchmark);
        auto* page = window_->benchmarkPage();
        SETUP(pick_route("GET /users/{id:int}"));
        page->connectionsBox()->setValue(4);
        const int before = page->history().rowCount();
        page->ceilingBox()->setChecked(true);
        QVERIFY(!page->rateBox()->isEnabled());
        page->durationBox()->setValue(0.5);
        QSignalSpy saved(page, &BenchmarkPage::runSaved);
        QSignalSpy steps(page, &BenchmarkPage::progressed);
        QVERIFY2(page->run(), qPrintable(page->statusText()));
        QTRY_VERIFY_WITH_TIMEOUT(steps.count() >= 2, kWait);  // the probe and the first ramp step
        QVERIFY(page->statusText().startsWith("Step"));
        // The step table: one row per step, the probe's target "max", each with its verdict.
        auto* table = page->ceilingSteps();
        QVERIFY(table->isVisible());
        QVERIFY(table->rowCount() >= 2);
        QCOMPARE(table->item(0, 0)->text(), QString("probe"));
        QCOMPARE(table->item(0, 1)->text(), QString("max"));
        QVERIFY(table->item(1, 1)->text().toDouble() > 0);
        for (int r = 1; r < table->rowCount(); ++r)
            QVERIFY2(table->item(r, 6)->text() == "yes" || table->item(r, 6)->text().startsWith("no: "),
                     qPrintable(table->item(r, 6)->text()));
        page->stop();
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kWait);
        QVERIFY(!page->running());
        QCOMPARE(page->history().rowCount(), before + 1);
        const auto* run = page->history().run(0);
        QVERIFY(run->settings.ceiling);
        QVERIFY(run->summary.stopped_early);
        QVERIFY2(page->summary().contains("ceiling") || page->summary().contains("Ceiling"), qPrintable(page->summary()));
        page->ceilingBox()->setChecked(false);
        QVERIFY(page->rateBox()->isEnabled());
    }

    // Item 21 (the max p99): a ceiling search held to a max p99 (1 ms) that no step of a 2 ms
    // handler can keep. Each step says why it is not sustainable, the ramp's step because of its
    // p99; the search ends (not stopped) with no sustainable rate, and the run keeps the setting.
    void aCeilingSearchHeldToAMaxP99SaysWhy() {
        SETUP(open_and_serve());
        const QString good = app_text();
        // 2 ms: far above the max p99, and short enough that the few requests still in flight when
        // a step ends cannot make it miss its rate (that would be the reason given instead).
        write_app(good + "\n\n@app.get(\"/two-ms\")\ndef two_ms(request):\n    time.sleep(0.002)\n    return \"ok\"\n");
        QTRY_VERIFY_WITH_TIMEOUT(route(window_->routesPage(), "/two-ms") != nullptr, kWait);
        window_->showPage(MainWindow::Benchmark);
        auto* page = window_->benchmarkPage();
        page->urlEdit()->setText(QString("http://127.0.0.1:%1/two-ms").arg(port()));
        page->methodBox()->setCurrentText("GET");
        page->connectionsBox()->setValue(4);
        page->threadsBox()->setValue(1);
        page->durationBox()->setValue(0.5);
        page->ceilingBox()->setChecked(true);
        page->maxP99Box()->setValue(1);
        QSignalSpy saved(page, &BenchmarkPage::runSaved);
        QVERIFY2(page->run(), qPrintable(page->statusText()));
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kWait);  // the probe, one ramp step, two refine steps
        const auto* run = page->history().run(0);
        QCOMPARE(run->id, saved.at(0).at(0).toLongLong());
        QVERIFY(run->settings.ceiling);
        QCOMPARE(run->settings.max_p99_ms, 1.0);  // kept with the run
        QVERIFY(!run->summary.stopped_early);
        QCOMPARE(run->summary.ceiling_rate, 0.0);
        QVERIFY2(page->summary().contains("No sustainable rate found"), qPrintable(page->summary()));
        // The step table (filled again from the saved run, which the history now selects).
        auto* table = page->ceilingSteps();
        QVERIFY(table->isVisible());
        QCOMPARE(table->horizontalHeaderItem(2)->text(), QString("Achieved req/s"));
        QCOMPARE(table->horizontalHeaderItem(4)->text(), QString("p99 ms"));
        QVERIFY2(table->rowCount() >= 3, qPrintable(QString::number(table->rowCount())));
        QCOMPARE(table->item(0, 0)->text(), QString("probe"));
        QCOMPARE(table->item(1, 0)->text(), QString("ramp"));
        const QString ramp = table->item(1, 6)->text();
        QVERIFY2(ramp.startsWith("no: p99 ") && ramp.endsWith(" ms > 1.0 ms"), qPrintable(ramp));
        for (int r = 0; r < table->rowCount(); ++r) {
            bool achieved_ok = false, p99_ok = false;
            const double achieved = table->item(r, 2)->text().toDouble(&achieved_ok);
            const double p99 = table->item(r, 4)->text().toDouble(&p99_ok);
            QVERIFY2(achieved_ok && achieved > 0, qPrintable(table->item(r, 2)->text()));
            QVERIFY2(p99_ok && p99 >= 2.0, qPrintable(table->item(r, 4)->text()));  // the handler's 2 ms at least
            if (r > 0)
                QVERIFY2(table->item(r, 6)->text().startsWith("no: ") && table->item(r, 6)->text().size() > 4,
                         qPrintable(table->item(r, 6)->text()));
        }
        page->ceilingBox()->setChecked(false);
        write_app(good);
        QTRY_VERIFY_WITH_TIMEOUT(!route(window_->routesPage(), "/two-ms")->live, kWait);
    }

    void aBenchmarkThatMeasuresFailureSaysSo() {
        SETUP(open_and_serve());
        auto* page = window_->benchmarkPage();
        const int before = page->history().rowCount();
        // Nothing listening: refused at once, nothing run, nothing saved.
        page->urlEdit()->setText(QString("http://127.0.0.1:%1/").arg(free_port()));
        page->durationBox()->setValue(2);
        QElapsedTimer clock;
        clock.start();
        QVERIFY(!page->run());
        QVERIFY2(clock.elapsed() < 1500, "a dead port must not be run for the whole duration");
        QVERIFY2(page->statusText().contains("cannot connect") && page->statusText().contains("nothing was run"),
                 qPrintable(page->statusText()));
        QCOMPARE(page->history().rowCount(), before);
        // Every answer a 500: the run is kept, and the status says what it measured.
        page->urlEdit()->setText(QString("http://127.0.0.1:%1/boom").arg(port()));
        page->methodBox()->setCurrentText("POST");
        page->bodyEdit()->setText("1");
        page->rateBox()->setValue(20);  // a few tracebacks, not thousands
        page->durationBox()->setValue(1);
        QSignalSpy saved(page, &BenchmarkPage::runSaved);
        QVERIFY2(page->run(), qPrintable(page->statusText()));
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kWait);
        QVERIFY2(page->statusText().contains("EVERY ANSWER WAS A SERVER ERROR"), qPrintable(page->statusText()));
    }

    void aHistoryRunShowsItsOwnCharts() {
        // Three runs of different shapes: a 2 s run, a ceiling search, a 1 s all-5xx run. Pick
        // each: the charts say whose they are and hold its points, not the last live run's.
        SETUP(open_and_serve());
        SETUP(run_benchmark("/users/1", 2));
        SETUP(run_stopped_ceiling_search());
        SETUP(run_benchmark("/boom", 1, 20, "POST", "1"));
        auto* page = window_->benchmarkPage();
        QCOMPARE(page->history().rowCount(), 3);
        for (int row = 0; row < page->history().rowCount(); ++row) {
            const auto* run = page->history().run(row);
            page->selectRuns({run->id});
            QVERIFY2(page->chartsTitle().endsWith(QString("run #%1").arg(run->id)), qPrintable(page->chartsTitle()));
            QVERIFY2(page->chartPoints() > 0, qPrintable(QString("run #%1 drew no point").arg(run->id)));
            // Item 11: the summary beside the charts is that run's too: its method and URL, and a
            // timed run's request count (a ceiling search says it was stopped before a ceiling).
            const QString summary = page->summary();
            QVERIFY2(summary.startsWith(QString::fromStdString(run->settings.method + " " + run->settings.url + "\n")),
                     qPrintable(summary));
            if (run->settings.ceiling)
                QVERIFY2(summary.contains("Stopped before a ceiling was found"), qPrintable(summary));
            else
                QVERIFY2(summary.contains(QString("\n%1 requests in ").arg(run->summary.requests)), qPrintable(summary));
            if (!run->settings.ceiling)  // one point per second of the run (the last may be partial)
                QVERIFY(page->chartPoints() <= static_cast<int>(std::ceil(run->settings.duration_s)) + 1);
            // A ceiling search's steps come back in the table; a timed run has none to show.
            QCOMPARE(page->ceilingSteps()->isHidden(), !run->settings.ceiling);
            if (run->settings.ceiling) {
                QCOMPARE(page->ceilingSteps()->rowCount(), page->chartPoints());
                QVERIFY(!page->ceilingSteps()->item(0, 6)->text().isEmpty());  // sustainable, or why not
            }
        }
    }

    // Item 21: two runs picked in the history share the charts (the second dashed, its bars beside
    // the first's in bands common to both), and the axes read: titles, round ticks.
    void twoRunsShareTheChartsWithReadableAxes() {
        // Two timed runs far apart in rate (and in latency): GET at 200 req/s, a failing POST at 20.
        SETUP(open_and_serve());
        SETUP(run_benchmark("/users/1", 1, 200));
        SETUP(run_benchmark("/boom", 1, 20, "POST", "1"));
        auto* page = window_->benchmarkPage();
        std::vector<const inspector::bench::BenchRun*> timed;
        for (int row = 0; row < page->history().rowCount() && timed.size() < 2; ++row)
            if (!page->history().run(row)->settings.ceiling) timed.push_back(page->history().run(row));
        QVERIFY2(timed.size() == 2, "the two timed runs made above are in the history");
        const auto* a = timed[0];
        const auto* b = timed[1];
        page->selectRuns({a->id, b->id});
        const QString title = page->chartsTitle();
        QVERIFY2(title.endsWith(QString("run #%1 vs #%2").arg(a->id).arg(b->id)) ||
                     title.endsWith(QString("run #%1 vs #%2").arg(b->id).arg(a->id)),
                 qPrintable(title));
        QVERIFY(page->chartPoints(0) > 0);
        QVERIFY(page->chartPoints(1) > 0);
        QCOMPARE(page->distributionCount(0) + page->distributionCount(1), a->summary.requests + b->summary.requests);
        for (QValueAxis* axis : {page->charts().rpsX(), page->charts().rpsY(), page->charts().msY()}) {
            QVERIFY(!axis->titleText().isEmpty());
            QCOMPARE(axis->tickType(), QValueAxis::TicksDynamic);
            const double tick = axis->tickInterval();
            const double mantissa = tick / std::pow(10.0, std::floor(std::log10(tick)));
            QVERIFY2(std::abs(mantissa - 1) < 1e-6 || std::abs(mantissa - 2) < 1e-6 || std::abs(mantissa - 5) < 1e-6,
                     qPrintable(QString("tick %1").arg(tick)));
            QVERIFY2(std::abs(std::remainder(axis->max(), tick)) < tick * 1e-6, qPrintable(QString("max %1, tick %2").arg(axis->max()).arg(tick)));
        }
        QVERIFY2(page->charts().rpsY()->max() >= std::max(a->summary.requests_per_sec, b->summary.requests_per_sec) * 0.5,
                 "the req/s axis holds the runs");
        window_->showPage(MainWindow::Benchmark);
        save("benchmark-compare");
        page->selectRuns({a->id});
        QVERIFY(page->chartsTitle().endsWith(QString("run #%1").arg(a->id)));
        QCOMPARE(page->chartPoints(1), 0);
    }

    // Item 21: a second in which nothing was answered has no latency: the lines break there
    // instead of dropping to 0 ms; a gap in the seconds breaks every line.
    void chartLinesBreakWhereNothingWasAnswered() {
        RunCharts charts;
        charts.reset(false, 6, "run #1");
        charts.add(0, 1, 100, 1.0, 2.0);
        charts.add(0, 2, 0, std::nullopt, std::nullopt);  // idle
        charts.add(0, 3, 90, 1.1, 2.2);
        QCOMPARE(charts.points(0), 3);  // 0 req/s is a fact: drawn
        QCOMPARE(charts.lineParts(0), 2);
        charts.add(0, 6, 80, 1.0, 2.0);  // seconds 4 and 5 missing
        QCOMPARE(charts.lineParts(0), 3);
        charts.settle();
        QCOMPARE(charts.msY()->max(), 2.5);  // 2.2 ms with headroom, in ticks of 0.5
        QCOMPARE(charts.rpsY()->tickInterval(), 50.0);  // 100 req/s with headroom: 0, 50, 100, 150
        QCOMPARE(charts.rpsY()->max(), 150.0);
        QCOMPARE(nice_tick(7300), 2000.0);
        QCOMPARE(nice_tick(0.9), 0.2);
    }

    // Item 21 (its form): what `cello bench` takes — a path mix with weights, headers, pipelining,
    // a timeout, the ceiling's max p99 — with the CLI's syntax and its errors.
    void theBenchmarkFormTakesWhatTheCliTakes() {
        SETUP(open_and_serve());
        auto* page = window_->benchmarkPage();
        const auto users_before = count_of(window_->routesPage(), "/users/{id:int}");
        const auto cached_before = count_of(window_->routesPage(), "/cached/{n}");
        page->urlEdit()->setText(QString("http://127.0.0.1:%1/").arg(port()));
        page->pathsEdit()->setText("/users/1:3 /cached/2");
        page->headersEdit()->setText("X-Bench: from-the-form; Accept: application/json");
        page->pipelineBox()->setValue(4);
        page->timeoutBox()->setValue(5);
        page->connectionsBox()->setValue(2);
        page->durationBox()->setValue(1);
        page->rateBox()->setValue(0);
        QSignalSpy saved(page, &BenchmarkPage::runSaved);
        QVERIFY2(page->run(), qPrintable(page->statusText()));
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kWait);
        const auto& summary = page->history().run(0)->summary;
        QCOMPARE(summary.errors.total(), 0u);
        // The history keeps what the form asked (the run's summary and comparison show it).
        const auto& asked = page->history().run(0)->settings;
        QCOMPARE(QString::fromStdString(asked.paths), QString("/users/1:3 /cached/2"));
        QCOMPARE(QString::fromStdString(asked.headers), QString("X-Bench: from-the-form; Accept: application/json"));
        QCOMPARE(asked.pipeline, 4u);
        QCOMPARE(asked.timeout_s, 5.0);
        // Both paths were hit, about three to one.
        QTRY_VERIFY_WITH_TIMEOUT(count_of(window_->routesPage(), "/users/{id:int}") + count_of(window_->routesPage(), "/cached/{n}") >=
                                     users_before + cached_before + summary.requests, kWait);
        const double users = count_of(window_->routesPage(), "/users/{id:int}") - users_before;
        const double cached = count_of(window_->routesPage(), "/cached/{n}") - cached_before;
        QVERIFY2(cached > 0 && users / cached > 2 && users / cached < 4.5, qPrintable(QString("%1 : %2").arg(users).arg(cached)));
        // The header reached the server (the Requests page captured it).
        bool header_seen = false;
        for (const auto& r : window_->state().view().requests())
            for (const auto& [name, value] : r.headers) header_seen = header_seen || (name == "X-Bench" && value == "from-the-form");
        QVERIFY(header_seen);
        // Mistakes are said, and nothing runs.
        page->pathsEdit()->setText("/users/1:0");
        QVERIFY(!page->run());
        QVERIFY2(page->statusText().startsWith("Paths: bad weight"), qPrintable(page->statusText()));
        page->pathsEdit()->clear();
        page->headersEdit()->setText("no colon here");
        QVERIFY(!page->run());
        QVERIFY2(page->statusText().startsWith("Headers:"), qPrintable(page->statusText()));
        QCOMPARE(saved.count(), 1);
    }

    // Issue 20 item 5: the Benchmark page speaks HTTP/2 (h2c here: the studio's server takes it by
    // the preface); the history keeps the protocol, and the server saw HTTP/2 streams.
    void aBenchmarkRunsOverHttp2() {
        SETUP(open_and_serve());
        auto* page = window_->benchmarkPage();
        page->urlEdit()->setText(QString("http://127.0.0.1:%1/users/20").arg(port()));
        page->pathsEdit()->clear();
        page->headersEdit()->clear();
        page->http2Box()->setChecked(true);
        page->pipelineBox()->setValue(4);
        page->connectionsBox()->setValue(2);
        page->durationBox()->setValue(1);
        page->rateBox()->setValue(0);
        QSignalSpy saved(page, &BenchmarkPage::runSaved);
        QVERIFY2(page->run(), qPrintable(page->statusText()));
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kWait);
        const auto* run = page->history().run(0);
        QCOMPARE(run->summary.errors.total(), 0u);
        QVERIFY(run->summary.requests > 0);
        QVERIFY(run->settings.http2);
        QVERIFY2(page->summary().contains("HTTP/2, 4 streams per connection"), qPrintable(page->summary()));
        auto& log = window_->requestsPage()->model();
        QTRY_VERIFY_WITH_TIMEOUT([&] {
            for (int r = log.rowCount() - 1; r >= 0; --r)
                if (log.row(r)->path == "/users/20") return log.index(r, RequestsModel::Protocol).data().toString() == "HTTP/2";
            return false;
        }(), kWait);
        // A WebSocket URL is for cello bench ws://: said, and nothing runs.
        page->urlEdit()->setText(QString("ws://127.0.0.1:%1/").arg(port()));
        QVERIFY(!page->run());
        QVERIFY2(page->statusText().contains("cello bench ws://"), qPrintable(page->statusText()));
        page->http2Box()->setChecked(false);
        QCOMPARE(saved.count(), 1);
    }

    // Issue 16 item 9 and issue 15 item 17: a request's database queries and log lines in its
    // details; the Routes and Requests tables count queries and flag N+1.
    void theRoutesPageLinksToTheApiDocs() {
        SETUP(open_and_serve());
        auto* link = window_->routesPage()->docsLink();
        QVERIFY(!link->isVisible() || link->text().isEmpty());  // no enable_openapi(): no link
        write_app(app_text() + kOpenApi);
        window_->showPage(MainWindow::Routes);
        QTRY_VERIFY_WITH_TIMEOUT(link->isVisible(), kWait);
        const QString docs = QString("http://127.0.0.1:%1/docs").arg(port());
        QVERIFY2(link->text().contains(docs) && link->text().contains("/redoc"), qPrintable(link->text()));
        QCOMPARE(http(net_, "GET", port(), "/docs").status, 200);  // where it points answers
        UrlCatcher browser;
        Q_EMIT link->linkActivated(docs);
        QCOMPARE(browser.opened, QList<QUrl>{QUrl(docs)});
        save("routes-api-docs");
    }

    void requestDetailsShowItsQueriesAndLogLines() {
        SETUP(open_and_serve());
        const QString db = dir_->path() + "/shop.db";
        write_app(app_text() + QString(kDbRoutes).arg(db));
        QTRY_VERIFY_WITH_TIMEOUT(route(window_->routesPage(), "/items") != nullptr, kWait);
        QCOMPARE(http(net_, "GET", port(), "/items").status, 200);
        QCOMPARE(http(net_, "GET", port(), "/items/bad").status, 500);
        window_->showPage(MainWindow::Requests);
        auto* page = window_->requestsPage();
        auto* table = page->findChild<QTableView*>("requestsTable");
        const auto row_of = [&](const QString& path) {
            for (int r = table->model()->rowCount() - 1; r >= 0; --r)
                if (table->model()->index(r, RequestsModel::Path).data().toString() == path) return r;
            return -1;
        };
        QTRY_VERIFY_WITH_TIMEOUT(row_of("/items") >= 0 && row_of("/items/bad") >= 0, kWait);
        QCOMPARE(table->model()->index(row_of("/items"), RequestsModel::Queries).data().toInt(), 7);
        QVERIFY(table->model()->index(row_of("/items"), RequestsModel::Queries).data(Qt::ToolTipRole).toString().contains("N+1"));
        table->selectRow(row_of("/items"));
        QTRY_VERIFY_WITH_TIMEOUT(page->details().startsWith("GET /items"), kWait);
        const QString details = page->details();
        QVERIFY2(details.contains("Database: 7 queries") && details.contains("N+1: one statement ran 6 times"),
                 qPrintable(details));
        QVERIFY2(details.contains("SELECT id FROM items ORDER BY id") &&
                     details.count("SELECT id, name FROM items WHERE id = ?") == 6 && details.contains("6 rows") &&
                     details.contains("1 row\n"),
                 qPrintable(details));
        QVERIFY2(details.contains("Log lines:") && details.contains("WARNING shop: loading 6 items one by one"),
                 qPrintable(details));
        save("request-queries");
        table->selectRow(row_of("/items/bad"));
        QTRY_VERIFY_WITH_TIMEOUT(page->details().startsWith("GET /items/bad"), kWait);
        QVERIFY2(page->details().contains("Database: 1 query,"),
                 qPrintable(page->details()));
        QVERIFY2(page->details().contains("ProgrammingError") && page->details().contains("SELECT nope FROM items"),
                 qPrintable(page->details()));
        // Routes: queries per request, and the N+1 flag with its explanation.
        window_->showPage(MainWindow::Routes);
        auto* routes = window_->routesPage()->table()->model();
        int items = -1;
        QTRY_VERIFY_WITH_TIMEOUT([&] {
            for (int r = 0; r < routes->rowCount(); ++r)
                if (routes->index(r, RoutesModel::Pattern).data().toString() == "/items") items = r;
            return items >= 0 && !routes->index(items, RoutesModel::Queries).data().toString().isEmpty();
        }(), kWait);
        QCOMPARE(routes->index(items, RoutesModel::Queries).data().toString(), QString("7.0 ⚠ N+1"));
        QVERIFY(routes->index(items, RoutesModel::Queries).data(Qt::ToolTipRole).toString().contains("WHERE id IN"));
        QVERIFY(!routes->index(items, RoutesModel::DbTime).data().toString().isEmpty());
        QCOMPARE(routes->headerData(RoutesModel::Queries, Qt::Horizontal).toString(), QString("Queries/req"));
    }

    void theSelectedRequestStaysWhenTrafficPushesItOut() {
        SETUP(open_and_serve());
        window_->showPage(MainWindow::Requests);
        auto* page = window_->requestsPage();
        auto* table = page->findChild<QTableView*>("requestsTable");
        QCOMPARE(http(net_, "GET", port(), "/users/777").status, 200);
        int row = -1;
        QTRY_VERIFY_WITH_TIMEOUT([&] {
            for (int r = table->model()->rowCount() - 1; r >= 0 && row < 0; --r)
                if (table->model()->index(r, RequestsModel::Path).data().toString() == "/users/777") row = r;
            return row >= 0;
        }(), kWait);
        table->selectRow(row);
        QTRY_VERIFY_WITH_TIMEOUT(page->details().startsWith("GET /users/777"), kWait);
        // Seconds of closed-loop load: far more requests than the table keeps (5000).
        std::vector<inspector::bench::BenchSummary> floods;
        SETUP(floods = flood_the_requests_table("/"));
        QVERIFY2(floods.front().requests > 6000, "the run must outnumber the table");
        QTRY_VERIFY_WITH_TIMEOUT(page->details().contains("left the table"), kWait);
        QVERIFY2(page->details().startsWith("GET /users/777"), qPrintable(page->details().left(200)));  // not a neighbour
        QTRY_VERIFY_WITH_TIMEOUT(!table->selectionModel()->hasSelection(), kWait);
        // And the table still follows the newest rows.
        QCOMPARE(http(net_, "GET", port(), "/users/778").status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(table->verticalScrollBar()->value() == table->verticalScrollBar()->maximum() &&
                                     table->model()->index(table->model()->rowCount() - 1, RequestsModel::Path).data() ==
                                         QString("/users/778"),
                                 kWait);
    }

    // Item 5 and 16: a benchmark of failures followed by a flood of successes. The Requests table
    // lets the failures go (it keeps the last 5000); the Errors page keeps every one, grouped.
    void errorsAreKeptAndGroupedThroughABenchmark() {
        SETUP(open_and_serve());
        SETUP(send_failure());  // another kind of failure: the page shows more than the one group checked
        const QString good = app_text();
        write_app(good + "\n\nimport json\n\ndef lookup(key):\n    return json.loads(key)\n\n"
                         "@app.get(\"/broken/{key}\")\ndef broken(request):\n    return lookup(request.params[\"key\"])\n");
        const QString text = app_text();
        const int line = text.left(text.indexOf("return json.loads(key)")).count('\n') + 1;
        QTRY_VERIFY_WITH_TIMEOUT(route(window_->routesPage(), "/broken/{key}") != nullptr, kWait);
        const auto& groups = window_->state().errorGroups();
        const auto unrecorded_before = groups.unrecorded();

        auto* bench = window_->benchmarkPage();
        QSignalSpy saved(bench, &BenchmarkPage::runSaved);
        bench->urlEdit()->setText(QString("http://127.0.0.1:%1/broken/zzz").arg(port()));
        bench->connectionsBox()->setValue(2);
        bench->durationBox()->setValue(1);
        bench->rateBox()->setValue(0);
        QVERIFY2(bench->run(), qPrintable(bench->statusText()));
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kWait);
        const auto failed = bench->history().run(0)->summary.errors.status_5xx;
        QVERIFY2(failed > 100, qPrintable(QString::number(failed)));
        SETUP(flood_the_requests_table("/"));  // then a flood of successes
        // The Requests table has let them go...
        auto& log = window_->requestsPage()->model();
        QTRY_VERIFY_WITH_TIMEOUT([&] {
            for (int r = 0; r < log.rowCount(); ++r)
                if (log.row(r)->status == 500) return false;
            return log.rowCount() > 0;
        }(), kWait);

        // Item 5: the Console keeps its last 20 000 lines, and a flood of request-log lines may push
        // the failures' tracebacks out of it (the Errors page below keeps them whatever the
        // traffic). While it still has one, its error filter finds it whole.
        auto* console = window_->consolePage();
        if (console->text().contains("JSONDecodeError")) {
            console->setMinimumLevel(LineLevel::Error);
            QVERIFY(console->shownText().contains("Traceback (most recent call last):"));
            QVERIFY(console->shownText().contains("json.decoder.JSONDecodeError: Expecting value"));
            QVERIFY(!console->shownText().contains("\"GET /\" 200"));
            console->setMinimumLevel(LineLevel::Info);
        } else {
            qInfo("the flood pushed the tracebacks out of the Console; the Errors page keeps them");
        }
        // ...the Errors page has every one: one group, at the app's line (not json's), all counted.
        const auto find_group = [&]() -> int {
            for (std::size_t i = 0; i < groups.groups().size(); ++i)
                if (groups.groups()[i].exception_type == "json.decoder.JSONDecodeError") return static_cast<int>(i);
            return -1;
        };
        QTRY_VERIFY_WITH_TIMEOUT(find_group() >= 0 && groups.groups()[find_group()].count >= failed, kWait);
        const auto& g = groups.groups()[find_group()];
        QCOMPARE(QString::fromStdString(g.place()), QString("app.py:%1 in lookup").arg(line));
        QCOMPARE(groups.unrecorded(), unrecorded_before);  // one failure repeated is never lost
        QCOMPARE(g.routes, std::vector<std::string>{"GET /broken/{key}"});
        QVERIFY(g.last_ns > g.first_ns);
        auto* nav = window_->findChild<QListWidget*>("pageList");
        QTRY_VERIFY_WITH_TIMEOUT(nav->item(MainWindow::Errors)->text() == QString("Errors (%1)").arg(groups.total()), kWait);

        window_->showPage(MainWindow::Errors);
        auto* page = window_->errorsPage();
        QTRY_VERIFY_WITH_TIMEOUT(page->summary().contains(QString("%1 failures in").arg(groups.total())), kWait);
        page->selectGroup(find_group());
        // Item 5: the traceback is still there after the flood.
        QVERIFY2(page->traceback().contains("JSONDecodeError: Expecting value"), qPrintable(page->traceback()));
        QVERIFY(page->traceback().contains("GET /broken/zzz"));
        // The app's frames are shown, json's are folded; each app frame links to the editor.
        QVERIFY2(page->traceback().contains("3 framework frames (__init__.py, decoder.py)"), qPrintable(page->traceback()));
        QVERIFY(!page->traceback().contains("json/decoder.py"));
        QVERIFY(page->traceback().contains(QString("%1:%2 in lookup").arg(app_).arg(line)));
        save("errors");
        const QString html = page->findChild<QTextBrowser*>("errorTraceback")->toHtml();
        QRegularExpressionMatchIterator links = QRegularExpression("href=\"(frame:\\d+)\"").globalMatch(html);
        QStringList frames;
        while (links.hasNext()) frames << links.next().captured(1);
        QCOMPARE(frames.size(), 2);  // broken and lookup
        page->followLink(frames.last());
        QFile opened(dir_->path() + "/opened");
        QTRY_VERIFY_WITH_TIMEOUT(opened.exists() && opened.size() > 0, kWait);
        QVERIFY(opened.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(opened.readAll()).trimmed(), QString("--goto %1:%2").arg(app_).arg(line));
        QTRY_VERIFY_WITH_TIMEOUT(status().contains(QString("Opened app.py:%1").arg(line)), kWait);
        page->followLink("fold");  // "show": the framework frames too
        QVERIFY(page->findChild<QCheckBox*>("showFrameworkFrames")->isChecked());
        QVERIFY2(page->traceback().contains("json/decoder.py"), qPrintable(page->traceback()));
        page->findChild<QCheckBox*>("showFrameworkFrames")->setChecked(false);

        // Clear: the page starts over; the nav says so.
        page->findChild<QPushButton*>("clearErrors")->click();
        QCOMPARE(page->model().rowCount(), 0);
        QVERIFY(page->summary().startsWith("No failures yet"));
        QCOMPARE(nav->item(MainWindow::Errors)->text(), QString("Errors"));
        QVERIFY(page->traceback().isEmpty());
        // The next failure is shown at once.
        QCOMPARE(http(net_, "GET", port(), "/broken/again").status, 500);
        QTRY_COMPARE_WITH_TIMEOUT(page->model().rowCount(), 1, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(page->traceback().contains("GET /broken/again"), kWait);

        write_app(good);
        QTRY_VERIFY_WITH_TIMEOUT(!route(window_->routesPage(), "/broken/{key}")->live, kWait);
    }

    void stopAndStartAgain() {
        SETUP(open_and_serve());
        const int was = port();
        window_->stopApp();
        QCOMPARE(window_->routesPage()->model().rowCount(), 0);
        QCOMPARE(http(net_, "GET", was, "/").status, 0);  // refused: nothing listens
        QVERIFY(window_->startApp());
        QTRY_COMPARE_WITH_TIMEOUT(window_->routesPage()->model().rowCount(), 6, kWait);
        QCOMPARE(http(net_, "GET", port(), "/").status, 200);
    }

    // Item 9: Stop while a handler runs waits for it (the request is answered), and the window
    // keeps turning its event loop meanwhile instead of freezing for the handler's time.
    void stopWaitsForAHandlerWithoutFreezingTheWindow() {
        SETUP(open_and_serve());
        const QString good = app_text();
        write_app(good + "\n\n@app.get(\"/hold\")\ndef hold(request):\n    print(\"hold: entered\", flush=True)\n"
                         "    time.sleep(3)\n    return \"held\"\n");
        QTRY_VERIFY_WITH_TIMEOUT(route(window_->routesPage(), "/hold") != nullptr, kWait);
        QNetworkRequest req(QUrl(QString("http://127.0.0.1:%1/hold").arg(port())));
        req.setTransferTimeout(kWait);
        QNetworkReply* held = net_.get(req);
        QTRY_VERIFY_WITH_TIMEOUT(window_->consolePage()->text().contains("hold: entered"), kWait);
        auto* start = window_->findChild<QAction*>("startAction");
        QVERIFY(start);
        bool start_disabled_while_stopping = false;
        bool said_stopping = false;
        QTimer probe;
        connect(&probe, &QTimer::timeout, this, [&] {
            if (!window_->stopping()) return;
            said_stopping = said_stopping || status().startsWith("Stopping");
            start_disabled_while_stopping = start_disabled_while_stopping || !start->isEnabled();
        });
        probe.start(50);
        StallMeter stalls;
        window_->stopApp();
        const double waited = stalls.seconds();
        probe.stop();
        qInfo("stop waited %.1f s for the handler; worst event-loop gap %lld ms", waited, stalls.worst_gap);
        QVERIFY2(stalls.worst_gap < kMaxStallMs, qPrintable(QString("event loop stalled %1 ms").arg(stalls.worst_gap)));
        QVERIFY2(waited > 1.0, "the stop must wait for the handler in flight");
        QVERIFY(said_stopping);
        QVERIFY(start_disabled_while_stopping);
        QTRY_VERIFY_WITH_TIMEOUT(held->isFinished(), kWait);
        QCOMPARE(held->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);  // drained, answered
        QCOMPARE(held->readAll(), QByteArray("held"));
        held->deleteLater();
        QVERIFY(status().startsWith("Stopped"));
        QVERIFY(start->isEnabled());
        write_app(good);
        QVERIFY(window_->startApp());
        QTRY_COMPARE_WITH_TIMEOUT(window_->routesPage()->model().rowCount(), 6, kWait);
    }

    void aBrokenAppIsReportedNotFatal() {
        SETUP(open_and_serve());
        const QString good = app_text();
        window_->stopApp();
        write_app("from cello import App\napp = App()\nraise RuntimeError('cannot start')\n");
        QVERIFY(!window_->startApp());
        QTRY_VERIFY_WITH_TIMEOUT(window_->consolePage()->text().contains("RuntimeError: cannot start"), kWait);
        QVERIFY2(status().contains("RuntimeError: cannot start"), qPrintable(status()));  // why, in the status bar too
        // Saving the fix starts it: the file is watched although the app never ran.
        write_app(good);
        QTRY_COMPARE_WITH_TIMEOUT(window_->routesPage()->model().rowCount(), 6, kWait);
        QTRY_COMPARE_WITH_TIMEOUT(http(net_, "GET", port(), "/").status, 200, kWait);
    }

    // Items 6 and 8: an app opened with a syntax error. The studio goes to the Console, which shows
    // the SyntaxError; the file is watched although the app never ran, and saving the fix serves it
    // without pressing Start.
    void anAppOpenedWithASyntaxErrorIsShownAndWatched() {
        write_app(kSyntaxErrorApp);
        RunSettings s;
        s.port = free_port();
        window_->setSettings(s);
        window_->showPage(MainWindow::Routes);  // not where a failure sends you
        window_->openApp(app_);
        QCOMPARE(port(), 0);
        QCOMPARE(window_->currentPage(), MainWindow::Console);
        auto* console = window_->consolePage();
        QVERIFY(console->isVisible());
        QTRY_VERIFY2_WITH_TIMEOUT(console->shownText().contains("SyntaxError"), qPrintable(console->shownText()), kWait);
        QVERIFY2(console->shownText().contains(QString("File \"%1\", line 4").arg(app_)), qPrintable(console->shownText()));
        QVERIFY2(status().contains("SyntaxError") && status().contains("save"), qPrintable(status()));
        QCOMPARE(http(net_, "GET", s.port, "/").status, 0);  // nothing serves
        QCOMPARE(window_->routesPage()->model().rowCount(), 0);

        write_app(kApp);  // the fix, saved; Start is not pressed
        QTRY_COMPARE_WITH_TIMEOUT(window_->routesPage()->model().rowCount(), 6, kWait);
        QCOMPARE(port(), s.port);
        QCOMPARE(http(net_, "GET", port(), "/").status, 200);
        QVERIFY(console->text().contains("app.py changed: starting again"));
        QTRY_VERIFY2_WITH_TIMEOUT(status().contains("reloads on save"), qPrintable(status()), kWait);
    }

    void aBusyPortIsReportedWhereItSendsYou() {
        SETUP(open_and_serve());
        QTcpServer taken;
        QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
        RunSettings s = window_->settings();
        const int was = s.port;
        window_->stopApp();
        s.port = taken.serverPort();
        window_->setSettings(s);
        QVERIFY(!window_->startApp());
        QCOMPARE(window_->currentPage(), MainWindow::Console);  // where the failure sends you...
        QTRY_VERIFY2_WITH_TIMEOUT(window_->consolePage()->text().contains(QString::number(s.port)) &&
                                      window_->consolePage()->text().contains("in use", Qt::CaseInsensitive),
                                  qPrintable(window_->consolePage()->text().right(600)), kWait);  // ...says why
        QVERIFY2(status().contains("in use", Qt::CaseInsensitive), qPrintable(status()));
        s.port = was;
        window_->setSettings(s);
        QVERIFY(window_->startApp());
    }

    void theBenchmarkUrlFollowsTheAppAndTheServer() {
        SETUP(open_and_serve());
        auto* page = window_->benchmarkPage();
        const int first = port();
        QTRY_VERIFY_WITH_TIMEOUT(page->urlEdit()->text().startsWith(QString("http://127.0.0.1:%1/").arg(first)), kWait);
        // Another app on another port: the URL the page filled in goes with it.
        const QString other = dir_->path() + "/site/other.py";
        {
            QFile f(other);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("from cello import App\napp = App()\n\n@app.get('/only/{n}')\ndef only(request):\n"
                    "    return {'n': request.params['n']}\n");
        }
        RunSettings s = window_->settings();
        s.port = free_port();
        window_->stopApp();
        window_->setSettings(s);
        window_->openApp(other);
        QTRY_COMPARE_WITH_TIMEOUT(page->urlEdit()->text(), QString("http://127.0.0.1:%1/only/1").arg(s.port), kWait);
        // A URL the user typed is theirs: kept across a restart on another port.
        page->urlEdit()->setText("http://127.0.0.1:1/typed");
        window_->stopApp();
        QCOMPARE(page->urlEdit()->text(), QString("http://127.0.0.1:1/typed"));
        page->urlEdit()->clear();
        // Attached: a picked route goes to the port the server answers on, not a local one.
        const QString token = "5eed5eed5eed5eed5eed5eed5eed5eed";
        const int app_port = free_port(), api_port = free_port();
        QProcess server;
        SETUP(start_headless(server, app_port, api_port, token));
        QVERIFY(window_->attach(QUrl(QString("http://127.0.0.1:%1/inspect/v1").arg(api_port)), token));
        SETUP(pick_route("GET /users/{id:int}"));
        QCOMPARE(page->urlEdit()->text(), QString("http://127.0.0.1:%1/users/1").arg(app_port));
        server.terminate();
        QVERIFY(server.waitForFinished(10000));
        // From a server back to the first app: it serves again where it did.
        window_->stopApp();
        s.port = first;
        window_->setSettings(s);
        window_->openApp(app_);
        QTRY_COMPARE_WITH_TIMEOUT(window_->routesPage()->model().rowCount(), 6, kWait);
    }

    void aFailedAttachKeepsTheLocalAppRunning() {
        const QString token = "0badc0de0badc0de0badc0de0badc0de";
        const int app_port = free_port(), api_port = free_port();
        QProcess server;
        // The server before our app: a process started while the app serves inherits its listening
        // socket (the engine's sockets are not close-on-exec) and holds the port after the app has
        // stopped, so a request there would wait, not be refused.
        SETUP(start_headless(server, app_port, api_port, token));
        SETUP(open_and_serve());
        const int local = port();
        QVERIFY(window_->attach(QUrl(QString("http://127.0.0.1:%1/inspect/v1").arg(api_port)), "wrong"));
        QTRY_VERIFY_WITH_TIMEOUT(status().contains("401") && status().contains("the local app keeps running"), kWait);
        QCOMPARE(http(net_, "GET", local, "/").status, 200);  // still serving
        QCOMPARE(port(), local);
        // Nothing listening at all: the same.
        QVERIFY(window_->attach(QUrl(QString("http://127.0.0.1:%1/inspect/v1").arg(free_port())), token));
        QTRY_VERIFY_WITH_TIMEOUT(status().startsWith("Could not attach"), kWait);
        QCOMPARE(http(net_, "GET", local, "/").status, 200);
        // The right token: now it attaches, and only now the local app stops.
        QVERIFY(window_->attach(QUrl(QString("http://127.0.0.1:%1/inspect/v1").arg(api_port)), token));
        QTRY_VERIFY_WITH_TIMEOUT(status().startsWith("Attached to"), kWait);
        QCOMPARE(http(net_, "GET", local, "/").status, 0);
        server.terminate();
        QVERIFY(server.waitForFinished(10000));
    }

    void attachesToAHeadlessServer() {
        const QString token = "feedfacefeedfacefeedfacefeedface";
        const int app_port = free_port(), api_port = free_port();
        QProcess server;
        SETUP(start_headless(server, app_port, api_port, token));  // first: see aFailedAttachKeepsTheLocalAppRunning
        SETUP(open_and_serve());  // an app of our own: the attach replaces it; Detach names it again
        // File ▸ Attach to server…: the dialog takes the URL and the token.
        on_next_dialog([&](QDialog* dialog) {
            auto* url = dialog->findChild<QLineEdit*>("attachUrl");
            auto* key = dialog->findChild<QLineEdit*>("attachToken");
            if (!url || !key) {
                dialog->reject();
                QFAIL("the Attach dialog has no URL or token field");
            }
            url->setText(QString("http://127.0.0.1:%1/inspect/v1").arg(api_port));
            key->setText(token);
            const bool shot = dialog->grab().save(shots_ + "/studio-attach.png");
            dialog->accept();
            QVERIFY(shot);
        });
        window_->findChild<QAction*>("attachAction")->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(status().startsWith("Attached to"), kWait);
        QTRY_COMPARE_WITH_TIMEOUT(window_->routesPage()->model().rowCount(), 6, kWait);
        for (int i = 0; i < 3; ++i) http(net_, "GET", app_port, "/users/1");
        QTRY_COMPARE_WITH_TIMEOUT(count_of(window_->routesPage(), "/users/{id:int}"), 3u, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(window_->requestsPage()->model().rowCount() >= 3, kWait);
        window_->cachePage()->invalidate("users");
        QTRY_VERIFY_WITH_TIMEOUT(window_->cachePage()->lastResult().contains("invalidated"), kWait);
        // Attached: said in the title, the server's own URL in the status bar, and an explicit Detach.
        QCOMPARE(window_->windowTitle(), QString("Attached to 127.0.0.1:%1 — Cello Studio").arg(api_port));
        auto* detach = window_->findChild<QAction*>("detachAction");
        QVERIFY(detach->isEnabled() && detach->isVisible());
        // Item 20: Detach is on the toolbar while attached (and only then). At the window's usual
        // size: a narrower one shows the toolbar's last items in its overflow menu.
        window_->resize(1200, 760);
        auto* toolbar = window_->findChild<QToolBar*>("runToolbar");
        QTRY_VERIFY_WITH_TIMEOUT(toolbar->width() >= toolbar->sizeHint().width(), kWait);
        QVERIFY(toolbar->actions().contains(detach));
        QVERIFY(toolbar->widgetForAction(detach) && toolbar->widgetForAction(detach)->isVisible());
        QVERIFY(!window_->findChild<QAction*>("stopAction")->isEnabled());  // nothing of ours runs
        QTRY_VERIFY_WITH_TIMEOUT(window_->findChild<QLabel*>("serverUrl")->text().contains(QString("http://127.0.0.1:%1/").arg(app_port)), kWait);
        // A wrong token is reported, not crashed on.
        QVERIFY(window_->attach(QUrl(QString("http://127.0.0.1:%1/inspect/v1").arg(api_port)), "wrong"));
        QTRY_VERIFY_WITH_TIMEOUT(status().contains("401"), kWait);
        detach->trigger();
        QVERIFY(!detach->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(!toolbar->widgetForAction(detach)->isVisible(), kWait);  // at the toolbar's next layout
        QCOMPARE(window_->windowTitle(), QString("app.py — Cello Studio"));
        QCOMPARE(window_->routesPage()->model().rowCount(), 0);  // watching nothing now
        QCOMPARE(http(net_, "GET", app_port, "/").status, 200);  // and the server runs on
        server.terminate();
        QVERIFY(server.waitForFinished(10000));
    }

    void showsTheWorkersOfAClusterItAttachesTo() {
        const QString token = "facefeedfacefeedfacefeedfacefeed";
        const int app_port = free_port(), api_port = free_port();
        QProcess server;
        SETUP(start_headless(server, app_port, api_port, token, {"--processes", "2"}));
        QVERIFY(window_->attach(QUrl(QString("http://127.0.0.1:%1/inspect/v1").arg(api_port)), token));
        window_->showPage(MainWindow::Workers);
        WorkersModel& workers = window_->workersPage()->model();
        QTRY_VERIFY2_WITH_TIMEOUT(workers.rowCount() == 2, qPrintable(status() + " | " + window_->workersPage()->summary()), kWait);
        QSet<int> pids;
        for (int r = 0; r < 2; ++r) {
            pids.insert(workers.data(workers.index(r, WorkersModel::Pid), Qt::DisplayRole).toInt());
            QCOMPARE(workers.data(workers.index(r, WorkersModel::State), Qt::DisplayRole).toString(), QString("serving"));
        }
        QCOMPARE(pids.size(), 2);
        QVERIFY(!pids.contains(static_cast<int>(server.processId())));  // workers, not the supervisor
        // Requests over fresh connections reach both workers; the routes page shows the total.
        for (int i = 0; i < 20; ++i) http(net_, "GET", app_port, "/users/1");
        QTRY_COMPARE_WITH_TIMEOUT(count_of(window_->routesPage(), "/users/{id:int}"), 20u, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(window_->workersPage()->summary().contains("2 worker processes"), kWait);
        window_->showPage(MainWindow::Workers);
        save("workers");
        server.terminate();
        QVERIFY(server.waitForFinished(30000));
        QCOMPARE(server.exitCode(), 0);
    }

    // Issue 19: the WebSockets page lists the open connections with their message counts, then
    // those that ended with their close code; a real client (python3-websockets) in another process.
    void listsOpenWebSocketsAndTheirMessages() {
        SETUP(open_and_serve());
        write_app(app_text() + "\n\n@app.websocket(\"/ws/echo\")\nasync def echo(ws):\n    await ws.accept()\n"
                               "    async for m in ws:\n        await ws.send_text(m)\n");
        QTRY_VERIFY_WITH_TIMEOUT(route(window_->routesPage(), "/ws/echo") != nullptr, kWait);
        QProcess client;
        client.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        // The URL as an argument: moc takes a "//" in a raw string for a comment.
        client.start("/usr/bin/python3", {"-c", QString(R"(
import asyncio, sys, websockets
async def main():
    url = sys.argv[1]
    async with websockets.connect(url + "?who=a") as a, websockets.connect(url + "?who=b") as b:
        for m in ("one", "two", "three"):
            await a.send(m); await a.recv()
        await b.send("x"); await b.recv()
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await b.close(4000, "b is done")
        print("closed", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
asyncio.run(main())
)"), QString("ws://127.0.0.1:%1/ws/echo").arg(port())});
        QVERIFY(client.waitForStarted());
        QTRY_VERIFY2_WITH_TIMEOUT(client.canReadLine(), "the client never connected", kWait);
        QCOMPARE(client.readLine().trimmed(), QByteArray("ready"));
        window_->showPage(MainWindow::WebSockets);
        auto* page = window_->websocketsPage();
        WebSocketsModel& model = page->model();
        const auto cell = [&](int r, int c) { return model.data(model.index(r, c), Qt::DisplayRole).toString(); };
        // Counted once written: the last echo's count may come a moment after the client read it.
        QTRY_VERIFY2_WITH_TIMEOUT(model.rowCount() == 2 && cell(0, WebSocketsModel::MessagesOut) == "3" &&
                                      cell(1, WebSocketsModel::MessagesOut) == "1",
                                  qPrintable(page->summary()), kWait);
        QCOMPARE(cell(0, WebSocketsModel::Path), QString("/ws/echo?who=a"));
        QCOMPARE(cell(0, WebSocketsModel::Route), QString("GET /ws/echo"));
        QCOMPARE(cell(0, WebSocketsModel::State), QString("open"));
        QCOMPARE(cell(0, WebSocketsModel::MessagesIn), QString("3"));
        QCOMPARE(cell(0, WebSocketsModel::BytesIn), QString("11 B"));
        QVERIFY(cell(0, WebSocketsModel::Client).startsWith("127.0.0.1:"));
        QCOMPARE(cell(1, WebSocketsModel::Path), QString("/ws/echo?who=b"));
        QVERIFY2(page->summary().startsWith("2 open (2 since the start): 4 messages received, 4 sent"), qPrintable(page->summary()));
        save("websockets");

        client.write("\n");
        QTRY_VERIFY_WITH_TIMEOUT(client.canReadLine(), kWait);
        QCOMPARE(client.readLine().trimmed(), QByteArray("closed"));
        // The ended one follows the open one, with its close code (and reason as a tooltip).
        QTRY_VERIFY2_WITH_TIMEOUT(model.rowCount() == 2 && cell(1, WebSocketsModel::State) == "closed 4000",
                                  qPrintable(page->summary()), kWait);
        QCOMPARE(cell(0, WebSocketsModel::Path), QString("/ws/echo?who=a"));
        QCOMPARE(model.data(model.index(1, WebSocketsModel::State), Qt::ToolTipRole).toString(), QString("b is done"));
        QVERIFY2(page->summary().startsWith("1 open (2 since the start)"), qPrintable(page->summary()));
        client.closeWriteChannel();
        QVERIFY(client.waitForFinished(kWait));
        QCOMPARE(client.exitCode(), 0);
        QTRY_VERIFY2_WITH_TIMEOUT(cell(0, WebSocketsModel::State) == "closed 1000" && cell(1, WebSocketsModel::State) == "closed 4000",
                                  qPrintable(page->summary()), kWait);
    }

    void closingDuringABenchmarkAsksAndKeepsTheRun() {
        SETUP(open_and_serve());
        auto* page = window_->benchmarkPage();
        QTRY_COMPARE_WITH_TIMEOUT(http(net_, "GET", port(), "/").status, 200, kWait);
        page->urlEdit()->setText(QString("http://127.0.0.1:%1/").arg(port()));
        page->durationBox()->setValue(30);
        page->rateBox()->setValue(50);
        const int before = page->history().rowCount();
        QSignalSpy seconds(page, &BenchmarkPage::progressed);
        QVERIFY2(page->run(), qPrintable(page->statusText()));
        QTRY_VERIFY_WITH_TIMEOUT(seconds.count() >= 1, kWait);
        answer(QMessageBox::Cancel, "close-benchmark");  // the window stays, the run goes on
        QVERIFY(!window_->close());
        QVERIFY(page->running());
        answer(QMessageBox::Save);  // stopped, and what it measured is kept
        QVERIFY(window_->close());
        QVERIFY(!page->running());
        QCOMPARE(page->history().rowCount(), before + 1);
        QVERIFY(page->history().run(0)->summary.stopped_early);
        QVERIFY(page->history().run(0)->summary.requests > 0);
    }

    // Item 20: menus, shortcuts, icons, About, Preferences, the server's URL, command-line flags.
    void desktopConventions() {
        const QStringList menus = [&] {
            QStringList names;
            for (QAction* a : window_->menuBar()->actions()) names << a->text().remove('&');
            return names;
        }();
        QCOMPARE(menus, (QStringList{"File", "Edit", "View", "Run", "Help"}));
        for (const char* name : {"startAction", "stopAction", "reloadAction", "runBenchmarkAction", "openBrowserAction"}) {
            auto* a = window_->findChild<QAction*>(name);
            QVERIFY2(a && !a->shortcut().isEmpty(), name);
        }
        // Toolbar icons from resources/icons, rendered (the SVG icon engine is there).
        QVERIFY(!window_->findChild<QAction*>("startAction")->icon().pixmap(20, 20).isNull());
        QVERIFY(!window_->windowIcon().pixmap(32, 32).isNull());
        // Ctrl+3 is the third page; each page has its shortcut.
        for (int page = 0; page < MainWindow::PageCount; ++page) {
            auto* a = window_->findChild<QAction*>(QString("showPage%1").arg(page + 1));
            QVERIFY(a);
            QCOMPARE(a->shortcut(), QKeySequence(QString("Ctrl+%1").arg(page + 1)));
        }
        window_->findChild<QAction*>("showPage3")->trigger();
        QCOMPARE(window_->currentPage(), MainWindow::Errors);
        // About: versions of what the studio is built from.
        const QString about = about_text();
        QVERIFY(about.contains(CELLO_TEST_VERSION));
        QVERIFY(about.contains(qVersion()));
        QVERIFY2(about.contains(QRegularExpression("Python(&nbsp;)*</td><td>3\\.\\d+\\.\\d+")), qPrintable(about));
        QVERIFY(about.contains("studio.md"));  // the docs of this build
        QTimer::singleShot(0, this, [&] {
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            if (!box) return;
            QVERIFY(box->grab().save(shots_ + "/studio-about.png"));
            box->accept();
        });
        show_about(window_.get());  // modal: the timer above closes it

        // Serving: the URL is a link in the status bar, and "Open in browser" is on.
        SETUP(open_and_serve());
        auto* url = window_->findChild<QLabel*>("serverUrl");
        QTRY_VERIFY_WITH_TIMEOUT(url->text().contains(QString("http://127.0.0.1:%1/").arg(port())), kWait);
        QVERIFY(window_->findChild<QAction*>("openBrowserAction")->isEnabled());

        // Preferences: the editor command wins over $CELLO_EDITOR, and the theme applies.
        const QString editor = dir_->path() + "/editor.sh";
        auto* prefs = window_->findChild<QAction*>("preferencesAction");
        QTimer::singleShot(0, this, [&] {
            auto* dialog = qobject_cast<PreferencesDialog*>(QApplication::activeModalWidget());
            if (!dialog) return;
            dialog->findChild<QLineEdit*>("editorCommand")->setText(editor + " --from-prefs {file}:{line}");
            auto* theme = dialog->findChild<QComboBox*>("theme");
            theme->setCurrentIndex(theme->findData("dark"));
            QVERIFY(dialog->grab().save(shots_ + "/studio-preferences.png"));
            dialog->accept();
        });
        prefs->trigger();
        QCOMPARE(Preferences::load().theme, QString("dark"));
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 80);
        QVERIFY(open_source(app_, 12).ok);
        QFile opened(dir_->path() + "/opened");
        QTRY_VERIFY_WITH_TIMEOUT(opened.exists() && opened.size() > 0, kWait);
        QVERIFY(opened.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(opened.readAll()).trimmed(), QString("--from-prefs %1:12").arg(app_));
        Preferences back;  // defaults: $CELLO_EDITOR again, the system's theme
        back.save();
        apply_theme(back.theme);
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() > 150);

        // cello-studio app.py --host H --port P --env production: serves there, so configured.
        const QString bin = QCoreApplication::applicationDirPath() + "/cello-studio";
        QProcess help;
        help.start(bin, {"--help"});
        QVERIFY(help.waitForFinished(kWait));
        const QString usage = QString::fromUtf8(help.readAllStandardOutput());
        for (const char* flag : {"--host", "--port", "--env", "--workers", "--attach"}) QVERIFY2(usage.contains(flag), flag);
        QProcess studio;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("QT_QPA_PLATFORM", "offscreen");
        env.insert("XDG_CONFIG_HOME", dir_->path() + "/other-config");  // its own settings, not the test's
        studio.setProcessEnvironment(env);
        studio.setProcessChannelMode(QProcess::MergedChannels);
        const int other = free_port();
        // Another loopback address than the default 127.0.0.1: it serves there, and only there.
        studio.start(bin, {app_, "--host", "127.0.0.2", "--port", QString::number(other), "--env", "production"});
        QVERIFY(studio.waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(http(net_, "GET", other, "/", {}, "127.0.0.2").status, 200, kWait);
        QCOMPARE(http(net_, "GET", other, "/").status, 0);  // refused on 127.0.0.1
        QString said;  // the banner says the environment
        QTRY_VERIFY_WITH_TIMEOUT((said += QString::fromUtf8(studio.readAll())).contains(", production)"), kWait);
        studio.terminate();
        QVERIFY(studio.waitForFinished(kWait));
        QProcess bad;
        bad.setProcessEnvironment(env);
        bad.start(bin, {app_, "--port", "99999"});
        QVERIFY(bad.waitForFinished(kWait));
        QCOMPARE(bad.exitCode(), 2);
        QVERIFY(QString::fromUtf8(bad.readAllStandardError()).contains("--port must be"));
    }

    // Item 13: without a display (no DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM), --help and
    // --version still answer on stdout and exit 0; a start says in one line that there is no display
    // and exits 1 (Qt's platform plugin would abort with a core dump).
    void theStudioNeedsNoDisplayForHelpAndSaysWhenItHasNone() {
        const QString bin = QCoreApplication::applicationDirPath() + "/cello-studio";
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char* name : {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"}) env.remove(name);
        env.insert("XDG_CONFIG_HOME", dir_->path() + "/other-config");
        const auto run = [&](QProcess& p, const QStringList& args) {
            p.setProcessEnvironment(env);
            p.start(bin, args);
            QVERIFY2(p.waitForFinished(kWait), qPrintable(args.join(' ')));
            QVERIFY2(p.exitStatus() == QProcess::NormalExit, qPrintable(args.join(' ') + ": crashed"));
        };
        QProcess help;
        SETUP(run(help, {"--help"}));
        QCOMPARE(help.exitCode(), 0);
        const QString usage = QString::fromUtf8(help.readAllStandardOutput());
        QVERIFY2(usage.startsWith("Usage: cello-studio [options] [app.py]"), qPrintable(usage));
        for (const char* flag : {"--host", "--port", "--env", "--workers", "--attach", "--token"})
            QVERIFY2(usage.contains(flag), flag);
        QProcess version;
        SETUP(run(version, {"--version"}));
        QCOMPARE(version.exitCode(), 0);
        QCOMPARE(QString::fromUtf8(version.readAllStandardOutput()), QString("cello-studio %1\n").arg(CELLO_TEST_VERSION));
        QProcess start;
        SETUP(run(start, {app_}));
        QCOMPARE(start.exitCode(), 1);
        const QString said = QString::fromUtf8(start.readAllStandardError());
        QVERIFY2(said.startsWith("cello-studio: no display to open a window on") && said.count('\n') == 1 && said.endsWith('\n'),
                 qPrintable(said));
        QVERIFY(start.readAllStandardOutput().isEmpty());
    }

    // Item 20: the View menu lists the pages; Preferences' host and port go to the toolbar while
    // nothing runs; the status bar's URL is a link; Open in browser and Help's guide hand the desktop
    // the right URLs (caught here instead of opening a browser).
    void linksMenusAndPreferencesGoWhereTheySay() {
        UrlCatcher urls;
        auto* view = window_->menuBar()->findChild<QMenu*>("viewMenu");
        QVERIFY(view);
        QStringList pages;
        for (QAction* a : view->actions())
            if (a->objectName().startsWith("showPage")) pages << a->text();
        QCOMPARE(pages, (QStringList{"Routes", "Requests", "Errors", "Latency", "Cache", "Workers", "WebSockets", "Console",
                                     "Benchmark"}));
        QVERIFY(view->actions().contains(window_->findChild<QToolBar*>("runToolbar")->toggleViewAction()));
        window_->findChild<QAction*>("showPage9")->trigger();
        QCOMPARE(window_->currentPage(), MainWindow::Benchmark);

        // Preferences while nothing runs: the next start uses the new host and port.
        auto* prefs = window_->findChild<QAction*>("preferencesAction");
        const int first = free_port();
        on_next_dialog([&](QDialog* dialog) {
            dialog->findChild<QLineEdit*>("defaultHost")->setText("127.0.0.2");
            dialog->findChild<QSpinBox*>("defaultPort")->setValue(first);
            dialog->accept();
        });
        prefs->trigger();
        QCOMPARE(Preferences::load().port, first);
        QCOMPARE(window_->findChild<QLineEdit*>("hostEdit")->text(), QString("127.0.0.2"));
        QCOMPARE(window_->findChild<QSpinBox*>("portBox")->value(), first);
        QCOMPARE(QString::fromStdString(window_->settings().host), QString("127.0.0.2"));
        window_->openApp(app_);
        QTRY_COMPARE_WITH_TIMEOUT(window_->routesPage()->model().rowCount(), 6, kWait);
        QCOMPARE(port(), first);
        QCOMPARE(http(net_, "GET", first, "/", {}, "127.0.0.2").status, 200);
        // While the app runs, new defaults wait for the next app: the toolbar keeps what serves.
        on_next_dialog([&](QDialog* dialog) {
            dialog->findChild<QSpinBox*>("defaultPort")->setValue(first == 65535 ? 1024 : first + 1);
            dialog->accept();
        });
        prefs->trigger();
        QCOMPARE(window_->findChild<QSpinBox*>("portBox")->value(), first);

        // The server's URL: a link in the status bar, and what Open in browser opens.
        const QUrl served(QString("http://127.0.0.2:%1/").arg(first));
        auto* link = window_->findChild<QLabel*>("serverUrl");
        QTRY_VERIFY_WITH_TIMEOUT(link->text().contains(QString("<a href='%1'>").arg(served.toString())), kWait);
        QVERIFY(link->openExternalLinks());
        auto* browser = window_->findChild<QAction*>("openBrowserAction");
        QVERIFY(browser->isEnabled());
        browser->trigger();
        QCOMPARE(urls.opened, QList<QUrl>{served});
        // A click on the link opens it too.
        QTest::mouseClick(link, Qt::LeftButton, {}, QPoint(link->contentsRect().left() + 8, link->height() / 2));
        QTRY_COMPARE_WITH_TIMEOUT(urls.opened.size(), 2, kWait);
        QCOMPARE(urls.opened.last(), served);

        // Help ▸ Studio guide: the docs of this build, docs/studio.md.
        QVERIFY2(!docs_dir().isEmpty(), "the docs are beside the build");
        window_->findChild<QAction*>("guideAction")->trigger();
        QCOMPARE(urls.opened.size(), 3);
        QCOMPARE(urls.opened.last(), QUrl::fromLocalFile(docs_dir() + "/studio.md"));
        QVERIFY(QFileInfo::exists(urls.opened.last().toLocalFile()));
    }

    void theWindowFitsASmallScreen() {
        // 1280x720 at 1x, or 1600x1000 at 2x: the window must be able to get smaller than that.
        window_->resize(700, 480);
        QApplication::processEvents();
        QVERIFY2(window_->width() <= 700 && window_->height() <= 480,
                 qPrintable(QString("%1x%2, minimum %3x%4").arg(window_->width()).arg(window_->height())
                                .arg(window_->minimumSizeHint().width()).arg(window_->minimumSizeHint().height())));
        // Item 14: at that size the toolbar still shows the Host field, wide enough to read an address
        // (not cut, nor moved into the toolbar's overflow menu).
        auto* host = window_->findChild<QLineEdit*>("hostEdit");
        QVERIFY(host->isVisible());
        QVERIFY2(host->width() >= 80, qPrintable(QString("the Host field is %1 px wide").arg(host->width())));
        QVERIFY(window_->findChild<QSpinBox*>("portBox")->isVisible());
        window_->resize(1200, 760);
        // At 2x scaling, in a process of its own (the factor is set before Qt starts): the window
        // gets below 1600x1000 device pixels.
        QProcess scaled;
        scaled.start(QCoreApplication::applicationFilePath(), {"--scaled-window-size"});
        QVERIFY(scaled.waitForFinished(kWait));
        const QStringList got = QString::fromUtf8(scaled.readAllStandardOutput()).trimmed().split(' ');
        QVERIFY2(got.size() == 3, qPrintable(got.join(' ') + scaled.readAllStandardError()));
        QCOMPARE(got[2].toDouble(), 2.0);
        QVERIFY2(got[0].toDouble() * 2 <= 1600 && got[1].toDouble() * 2 <= 1000, qPrintable(got.join(' ')));
    }

    void settingsPersist() {
        SETUP(open_and_serve());
        RunSettings s = window_->settings();
        // Splitter positions and the benchmark form are remembered too.
        auto* split = window_->findChild<QSplitter*>("requestsSplit");
        split->setSizes({300, 111});
        const QList<int> sizes = split->sizes();
        window_->benchmarkPage()->durationBox()->setValue(7);
        window_->benchmarkPage()->connectionsBox()->setValue(13);
        window_->close();  // saves layout and settings
        MainWindow again;
        QCOMPARE(again.settings().port, s.port);
        again.show();  // laid out at the remembered geometry: the split is where it was, in proportion
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        const QList<int> restored = again.findChild<QSplitter*>("requestsSplit")->sizes();
        const auto share = [](const QList<int>& v) { return double(v[0]) / double(v[0] + v[1]); };
        QVERIFY2(std::abs(share(restored) - share(sizes)) < 0.05,
                 qPrintable(QString("%1/%2 vs %3/%4").arg(restored[0]).arg(restored[1]).arg(sizes[0]).arg(sizes[1])));
        QCOMPARE(again.benchmarkPage()->durationBox()->value(), 7.0);
        QCOMPARE(again.benchmarkPage()->connectionsBox()->value(), 13);
        QCOMPARE(QSettings().value("recentApps").toStringList().value(0), app_);
    }
};

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    if (argc > 1 && std::string_view(argv[1]) == "--scaled-window-size") {
        // theWindowFitsASmallScreen's helper: the window at 2x, made as small as a 1600x1000 screen needs.
        qputenv("QT_SCALE_FACTOR", "2");
        QApplication app(argc, argv);
        QStandardPaths::setTestModeEnabled(true);
        PythonRuntime python(argv[0]);
        MainWindow window;
        window.show();
        window.resize(780, 480);
        QApplication::processEvents();
        std::printf("%d %d %g\n", window.width(), window.height(), window.devicePixelRatio());
        return 0;
    }
    QApplication app(argc, argv);
    QApplication::setOrganizationName("Cello");
    QApplication::setApplicationName("cello-studio-test");
    OutputCapture capture;
    PythonRuntime python(argv[0]);
    int status = 0;
    {
        StudioTest test(&capture);
        status = QTest::qExec(&test, argc, argv);
    }
    return status;
}

#include "studio_test.moc"
