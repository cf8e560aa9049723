// The Benchmark page's charts: req/s and p50/p99 per second (or per ceiling step), and the whole
// run's latency distribution. One run, or two overlaid on the same axes (the second dashed, its
// bars beside the first's). Lines break where a run answered nothing (an idle second has no
// latency, and drawing 0 ms there would lie); axes have titles and round ticks.
#pragma once

#include <QString>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

class QChart;
class QLineSeries;
class QValueAxis;
class QWidget;

namespace cello::studio {

class RunCharts {
public:
    RunCharts();
    RunCharts(const RunCharts&) = delete;
    RunCharts& operator=(const RunCharts&) = delete;

    QWidget* widget() const { return widget_; }  // the three charts, stacked

    // Empties the charts for a new picture: `ceiling` (x is the step, not the second), the x span
    // expected, and whose numbers these are (in the titles: "this run", "run #3", "run #3 vs #5").
    void reset(bool ceiling, double span, const QString& of);
    // A point of run 0 (the run going on, or the first picked) or run 1 (the one overlaid). No
    // latency (nullopt): nothing was answered then, and the latency lines break there. A jump of
    // more than one in x (seconds missing from a report) breaks every line of that run.
    void add(int run, double x, double rps, std::optional<double> p50_ms, std::optional<double> p99_ms);
    // Once all points are in: round ticks on every axis (during a live run axes only grow).
    void settle();
    // The runs' latency histograms (a report's "histogram" buckets: lower_ns, count), in shared
    // log-spaced bands. Empty: no distribution (a ceiling search).
    struct Histogram {
        QString name;
        std::vector<std::pair<std::int64_t, std::uint64_t>> buckets;
    };
    void setDistribution(const std::vector<Histogram>& runs, const QString& of);

    QString throughputTitle() const;
    int points(int run = 0) const;  // points drawn for that run on the throughput chart
    int lineParts(int run = 0) const;  // pieces its p99 line is drawn in (1 + breaks)
    std::uint64_t distributionCount(int run = 0) const;  // requests in that run's bars
    QString distributionTitle() const;
    // The axes, for tests and screenshots: titles and tick spacing are what a reader sees.
    QValueAxis* rpsX() const { return rps_x_; }
    QValueAxis* rpsY() const { return rps_y_; }
    QValueAxis* msY() const { return ms_y_; }

private:
    // One metric of one run: a line drawn in pieces, a new piece after each break.
    struct Line {
        QChart* chart = nullptr;
        QValueAxis* x = nullptr;
        QValueAxis* y = nullptr;
        QString name;
        int run = 0;
        int metric = 0;  // 0 req/s, 1 p50, 2 p99
        std::vector<QLineSeries*> parts;
        bool broken = true;  // the next point starts a new piece
        int count() const;
    };
    void append(Line& line, double x, double y);
    void clear(Line& line);
    Line& line(int run, int metric) { return lines_[static_cast<std::size_t>(run * 3 + metric)]; }
    const Line& line(int run, int metric) const { return lines_[static_cast<std::size_t>(run * 3 + metric)]; }

    QWidget* widget_;
    QChart* rps_chart_;
    QChart* ms_chart_;
    QChart* dist_chart_;
    QValueAxis* rps_x_;
    QValueAxis* rps_y_;
    QValueAxis* ms_x_;
    QValueAxis* ms_y_;
    std::array<Line, 6> lines_;  // run 0: rps, p50, p99; run 1: the same
    std::array<double, 2> last_x_{};
    bool ceiling_ = false;
};

// A round tick interval (1, 2 or 5 times a power of ten) giving about `ticks` ticks over [0, max].
double nice_tick(double max, int ticks = 5);

}  // namespace cello::studio
