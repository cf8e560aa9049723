// cello-studio's window: open an app, run it (host, port, workers, env), reload on save, or attach
// to a headless server's inspector; the pages draw what the inspector computed.
#pragma once

#include "app_session.hpp"
#include "studio_state.hpp"

#include <QDateTime>
#include <QFileSystemWatcher>
#include <QMainWindow>
#include <QTimer>
#include <QUrl>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QMenu;
class QSpinBox;
class QStackedWidget;

namespace cello::studio {

class BenchmarkPage;
class CachePage;
class ErrorsPage;
class WebSocketsPage;
class WorkersPage;
class ConsolePage;
class LatencyPage;
class OutputCapture;
class RequestsPage;
class RoutesPage;

class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    enum Page { Routes, Requests, Errors, Latency, Cache, Workers, WebSockets, Console, Benchmark, PageCount };

    explicit MainWindow(OutputCapture* capture = nullptr, QWidget* parent = nullptr);
    ~MainWindow() override;

    void openApp(const QString& path);  // remembers it and starts it
    bool startApp();                    // with the settings in the toolbar; false (reason in Console)
    void stopApp();
    bool attach(const QUrl& api, const QString& token);  // a headless server's --inspect API
    void showPage(Page p);
    Page currentPage() const;
    bool stopping() const { return session_.stopping(); }
    RunSettings settings() const;
    void setSettings(const RunSettings& s);

    int servingPort() const { return port_; }
    StudioState& state() { return state_; }
    RoutesPage* routesPage() const { return routes_; }
    RequestsPage* requestsPage() const { return requests_; }
    ErrorsPage* errorsPage() const { return errors_; }
    LatencyPage* latencyPage() const { return latency_; }
    CachePage* cachePage() const { return cache_; }
    WorkersPage* workersPage() const { return workers_page_; }
    WebSocketsPage* websocketsPage() const { return websockets_; }
    ConsolePage* consolePage() const { return console_; }
    BenchmarkPage* benchmarkPage() const { return benchmark_; }

Q_SIGNALS:
    void appStopped();  // a stop (stopApp) finished: the app's handlers are done, its port is free

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildActions();
    void buildToolbar();
    void rememberRecent(const QString& path);
    void refreshRecentMenu();
    void chooseApp();
    void chooseAttach();
    void updateStatus(const QString& text);
    QString servingText() const;  // "Serving app.py on http://host:port"
    void showReload(const inspector::ReloadRow& r);
    void showSourceOpened(bool ok, const QString& message);
    void showServerUrl();          // the status bar's link and "Open in browser", for what serves now
    QUrl serverUrl() const;        // where the app answers (local or attached); empty when nowhere
    void editPreferences();
    void rememberLayout() const;   // splitters and the benchmark form, for the next session
    void restoreLayout();  // the status bar says whether the code is current
    void syncActions();
    void watchForRetry(bool on);
    void waitForStop();  // runs the event loop until a stop under way has finished

    StudioState state_;
    AppSession session_;
    QString app_path_;
    int port_ = 0;
    bool attached_ = false;
    // After a failed start: the app's file is watched, and a save starts it (as a reload would).
    QFileSystemWatcher* retry_watch_;
    QTimer* retry_timer_;
    QDateTime retry_saved_;  // the file's time when the start failed
    int attach_attempt_ = 0;  // a newer attach, or a start, supersedes a probe still in flight

    QListWidget* nav_;
    QStackedWidget* stack_;
    RoutesPage* routes_;
    RequestsPage* requests_;
    ErrorsPage* errors_;
    LatencyPage* latency_;
    CachePage* cache_;
    WorkersPage* workers_page_;
    WebSocketsPage* websockets_;
    ConsolePage* console_;
    BenchmarkPage* benchmark_;
    QLineEdit* host_;
    QSpinBox* port_box_;
    QSpinBox* workers_;
    QComboBox* env_;
    QLabel* status_;
    QAction* open_ = nullptr;
    QAction* start_ = nullptr;
    QAction* stop_ = nullptr;
    QAction* reload_ = nullptr;
    QAction* attach_ = nullptr;
    QAction* detach_ = nullptr;
    QAction* browser_ = nullptr;
    QLabel* url_ = nullptr;       // the server's URL, a link, in the status bar
    QUrl attached_api_;
    QMenu* recent_ = nullptr;
};

}  // namespace cello::studio
