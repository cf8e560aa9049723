// Benchmark: load-test a route of the running app (or any URL) with the native load generator,
// live charts of req/s and p50/p99 per second, a summary at the end, every run kept in SQLite
// (history table, two runs side by side, JSON/CSV export), and "find the ceiling".
#pragma once

#include "inspector/bench/bench_history.hpp"
#include "inspector/loadgen/ceiling.hpp"
#include "inspector/loadgen/load_generator.hpp"
#include "models/bench_compare_model.hpp"
#include "models/bench_history_model.hpp"
#include "run_charts.hpp"

#include <QWidget>

#include <memory>
#include <optional>

class QTableWidget;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProcess;
class QPushButton;
class QSpinBox;
class QTableView;

namespace cello::studio {

class TableSortFilter;

class BenchRunner;
class StudioState;

class BenchmarkPage final : public QWidget {
    Q_OBJECT
public:
    explicit BenchmarkPage(StudioState& state, QWidget* parent = nullptr);
    ~BenchmarkPage() override;

    // The app being served (file, bind host, bound port; port 0 when none): route URLs point there.
    void setTarget(const QString& app_file, const QString& host, int port);

    static QString defaultHistoryPath();  // AppDataLocation/bench-history.sqlite3
    bool openHistory(const QString& path);  // false: the reason is in statusText()
    QString historyPath() const;

    bool run();  // with the form's settings; false (reason in statusText()) when it cannot start
    void stop();
    // Stops a run and waits (events still flow) until it has ended: kept in the history, or not.
    void stopNow(bool keep);
    QString chartsTitle() const;  // the throughput chart's title: whose numbers it shows
    int chartPoints(int run = 0) const;  // points of that run on the throughput chart (1: the one overlaid)
    // The latency distribution chart (like oha's): requests per latency band of the runs shown.
    std::uint64_t distributionCount(int run = 0) const;  // requests in that run's bars
    QString distributionTitle() const;
    RunCharts& charts() { return *charts_; }
    bool running() const;

    int liveSeconds() const { return live_points_; }  // samples (or ceiling steps) drawn this run
    QString statusText() const;
    QString summary() const;
    BenchHistoryModel& history() { return history_model_; }
    BenchCompareModel& comparison() { return compare_model_; }
    void selectRuns(const QList<qint64>& ids);  // as a click in the history table does

    // Export without dialogs (the buttons ask for a file, then call these).
    bool exportJson(qint64 id, const QString& file, QString* error = nullptr) const;
    bool exportCsv(const QList<qint64>& ids, const QString& file, QString* error = nullptr) const;

    QComboBox* routeChooser() const { return route_; }
    bool chooseRoute(const QString& label);
    // The form's values (method, body, connections, threads, duration, rate), kept between sessions.
    void saveForm() const;
    void restoreForm();  // as picking it in the route list does; false if not listed
    QLineEdit* urlEdit() const { return url_; }
    QComboBox* methodBox() const { return method_; }
    QLineEdit* bodyEdit() const { return body_; }
    QSpinBox* connectionsBox() const { return connections_; }
    QSpinBox* threadsBox() const { return threads_; }
    QDoubleSpinBox* durationBox() const { return duration_; }
    QDoubleSpinBox* rateBox() const { return rate_; }
    QLineEdit* headersEdit() const { return headers_; }   // "Name: value; Name: value"
    QLineEdit* pathsEdit() const { return paths_; }       // "/a:3 /b" (weights), instead of the URL's path
    QSpinBox* pipelineBox() const { return pipeline_; }
    QCheckBox* http2Box() const { return http2_; }
    QDoubleSpinBox* timeoutBox() const { return timeout_; }  // seconds, per request
    QDoubleSpinBox* maxP99Box() const { return max_p99_; }   // ms: a ceiling step above it is not sustainable
    QTableWidget* ceilingSteps() const { return steps_; }
    QCheckBox* ceilingBox() const { return ceiling_; }

Q_SIGNALS:
    void progressed(int points);  // a live sample (or ceiling step) drawn while the run goes on
    void runSaved(qint64 id);  // a finished run is in the history
    void runEnded();           // saved or not

private:
    QWidget* buildForm();
    QWidget* buildCharts();
    QWidget* buildHistory();
    void refreshRoutes();
    void routeChosen(int index);
    // Where the app answers: the local one, or what an attached server says (port 0: unknown).
    std::pair<QString, int> servedAt() const;
    // Appended to "Done": failures said plainly. `answered`: responses of the whole run.
    static QString verdict(const inspector::bench::BenchSummary& s, std::uint64_t answered);
    void onSecond(const inspector::loadgen::SecondSample& s);
    void onStep(const inspector::loadgen::CeilingStep& s);
    void appendStep(const inspector::loadgen::CeilingStep& s);  // a row of the steps table
    void onFinished(const inspector::loadgen::LoadResult& r);
    void onCeilingFinished(const inspector::loadgen::CeilingResult& r);
    void resetCharts(bool ceiling, double span, const QString& of);
    // One stored run on the charts, or two overlaid (two selected in the history).
    void drawRuns(const std::vector<inspector::bench::BenchRun>& runs);
    void finishRun(inspector::bench::BenchRun run, std::uint64_t answered);
    void reloadHistory(std::int64_t select_id = 0);
    void selectionChanged();
    QList<qint64> selectedIds() const;
    std::optional<inspector::bench::BenchRun> loadRun(qint64 id, QString* error = nullptr) const;
    void chooseExport(bool json);
    void removeSelected();
    void setStatus(const QString& text);
    void syncButtons();

    StudioState& state_;
    BenchRunner* runner_;
    std::optional<inspector::bench::BenchHistory> db_;
    BenchHistoryModel history_model_;
    BenchCompareModel compare_model_;

    QString app_file_, host_ = "127.0.0.1";
    int port_ = 0;
    QString auto_url_;
    bool discard_ = false;  // the run being stopped is not to be kept  // the URL as this page last filled it in (edited by the user: kept)
    inspector::bench::BenchRun pending_;  // the run going on: settings, start time, app
    QProcess* git_ = nullptr;             // `git rev-parse HEAD` for the run going on
    inspector::loadgen::CeilingConfig ceiling_config_;
    int live_points_ = 0;

    QComboBox* route_;
    QLineEdit* url_;
    QComboBox* method_;
    QLineEdit* body_;
    QSpinBox* connections_;
    QSpinBox* threads_;
    QDoubleSpinBox* duration_;
    QDoubleSpinBox* rate_;
    QLineEdit* headers_ = nullptr;
    QLineEdit* paths_ = nullptr;
    QSpinBox* pipeline_ = nullptr;
    QCheckBox* http2_ = nullptr;
    QDoubleSpinBox* timeout_ = nullptr;
    QDoubleSpinBox* max_p99_ = nullptr;
    QCheckBox* ceiling_;
    QPushButton* run_;
    QPushButton* stop_;
    QLabel* status_;
    QPlainTextEdit* summary_;
    QTableWidget* steps_ = nullptr;  // a ceiling search's steps as they come: target, achieved, p99, verdict
    std::unique_ptr<RunCharts> charts_;
    QTableView* table_;
    TableSortFilter* history_sorted_ = nullptr;
    QTableView* compare_;
    QPushButton* export_json_;
    QPushButton* export_csv_;
    QPushButton* remove_;
};

}  // namespace cello::studio
