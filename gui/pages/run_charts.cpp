#include "run_charts.hpp"

#include "inspector/live_view.hpp"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QGraphicsLayout>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPen>
#include <QValueAxis>
#include <QVBoxLayout>
#include <QWidget>

#include <algorithm>
#include <cmath>

namespace cello::studio {

namespace {

constexpr int kRps = 0, kP50 = 1, kP99 = 2;
constexpr unsigned kBands = 12;

// Compact: three charts share the page's height, so margins, fonts and legends are kept small
// (with the defaults the axis labels and titles get elided at a normal window size).
void compact(QChart* chart) {
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->setBackgroundRoundness(0);
    QFont title = chart->titleFont();
    title.setPointSizeF(std::max(7.0, title.pointSizeF() * 0.85));
    title.setBold(true);
    chart->setTitleFont(title);
    chart->legend()->setAlignment(Qt::AlignRight);
    QFont small = chart->legend()->font();
    small.setPointSizeF(std::max(7.0, small.pointSizeF() * 0.85));
    chart->legend()->setFont(small);
}

void compact(QAbstractAxis* axis) {
    QFont f = axis->labelsFont();
    f.setPointSizeF(std::max(7.0, f.pointSizeF() * 0.85));
    axis->setLabelsFont(f);
    axis->setTitleFont(f);
}

QChartView* chart_view(QChart* chart) {
    compact(chart);
    auto* v = new QChartView(chart);
    v->setRenderHint(QPainter::Antialiasing);
    v->setMinimumHeight(150);
    return v;
}

// Colours per metric (the same for both runs; the second run's lines are dashed).
QColor metric_color(int metric) {
    switch (metric) {
        case kRps: return QColor(0x1f, 0x77, 0xb4);
        case kP50: return QColor(0x2c, 0xa0, 0x2c);
        default: return QColor(0xd6, 0x27, 0x28);
    }
}

// A value axis from 0 to a whole number of round ticks above `max`.
void fit(QValueAxis* axis, double max, bool whole) {
    double tick = nice_tick(max > 0 ? max : 1);
    if (whole) tick = std::max(1.0, std::round(tick));
    axis->setTickType(QValueAxis::TicksDynamic);
    axis->setTickAnchor(0);
    axis->setTickInterval(tick);
    axis->setRange(0, std::max(tick, std::ceil(max / tick - 1e-9) * tick));
    axis->setLabelFormat(tick >= 1 ? "%.0f" : tick >= 0.1 ? "%.1f" : tick >= 0.01 ? "%.2f" : "%.3f");
}

}  // namespace

double nice_tick(double max, int ticks) {
    const double raw = max / std::max(1, ticks);
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double m : {1.0, 2.0, 5.0})
        if (raw <= m * magnitude * 1.0000001) return m * magnitude;
    return 10 * magnitude;
}

RunCharts::RunCharts()
    : widget_(new QWidget), rps_chart_(new QChart), ms_chart_(new QChart), dist_chart_(new QChart),
      rps_x_(new QValueAxis), rps_y_(new QValueAxis), ms_x_(new QValueAxis), ms_y_(new QValueAxis) {
    rps_chart_->setTitle(QObject::tr("Requests per second"));
    rps_chart_->addAxis(rps_x_, Qt::AlignBottom);
    rps_chart_->addAxis(rps_y_, Qt::AlignLeft);
    ms_chart_->setTitle(QObject::tr("Latency per second"));
    ms_chart_->addAxis(ms_x_, Qt::AlignBottom);
    ms_chart_->addAxis(ms_y_, Qt::AlignLeft);
    rps_y_->setTitleText(QObject::tr("req/s"));
    ms_y_->setTitleText(QObject::tr("ms"));
    for (auto* axis : {rps_x_, rps_y_, ms_x_, ms_y_}) compact(axis);
    for (int run = 0; run < 2; ++run)
        for (int metric = kRps; metric <= kP99; ++metric) {
            Line& l = line(run, metric);
            l.chart = metric == kRps ? rps_chart_ : ms_chart_;
            l.x = metric == kRps ? rps_x_ : ms_x_;
            l.y = metric == kRps ? rps_y_ : ms_y_;
            l.run = run;
            l.metric = metric;
            l.name = metric == kRps ? "req/s" : metric == kP50 ? "p50" : "p99";
        }
    dist_chart_->setObjectName("benchDistribution");
    dist_chart_->setTitle(QObject::tr("Latency distribution"));
    auto* v = new QVBoxLayout(widget_);
    v->setContentsMargins(0, 0, 0, 0);
    v->addWidget(chart_view(rps_chart_), 1);
    v->addWidget(chart_view(ms_chart_), 1);
    v->addWidget(chart_view(dist_chart_), 1);
    reset(false, 10, QObject::tr("this run"));
}

int RunCharts::Line::count() const {
    int n = 0;
    for (const auto* p : parts) n += p->count();
    return n;
}

void RunCharts::append(Line& l, double x, double y) {
    if (l.broken || l.parts.empty()) {
        auto* s = new QLineSeries;
        QPen pen(metric_color(l.metric));
        pen.setWidthF(2);
        if (l.run == 1) pen.setStyle(Qt::DashLine);
        s->setPen(pen);
        s->setPointsVisible(true);  // a short run has one or two samples
        s->setName(l.name);
        l.chart->addSeries(s);
        s->attachAxis(l.x);
        s->attachAxis(l.y);
        // One legend entry per line, not per piece.
        if (!l.parts.empty())
            for (auto* marker : l.chart->legend()->markers(s)) marker->setVisible(false);
        l.parts.push_back(s);
        l.broken = false;
    }
    l.parts.back()->append(x, y);
    if (y * 1.05 > l.y->max()) fit(l.y, y * 1.1, l.metric == kRps);  // grows during a live run, never shrinks
    if (x > l.x->max()) fit(l.x, x, true);
}

void RunCharts::clear(Line& l) {
    for (auto* s : l.parts) {
        l.chart->removeSeries(s);
        delete s;
    }
    l.parts.clear();
    l.broken = true;
}

void RunCharts::reset(bool ceiling, double span, const QString& of) {
    ceiling_ = ceiling;
    last_x_ = {0, 0};
    for (auto& l : lines_) clear(l);
    const QString x_title = ceiling ? QObject::tr("step") : QObject::tr("second");
    for (auto* x : {rps_x_, ms_x_}) {
        fit(x, span, true);
        x->setTitleText(x_title);
    }
    fit(rps_y_, 1, true);
    fit(ms_y_, 0.1, false);
    // The titles say whose numbers these are: the run going on, the one picked, or two compared.
    rps_chart_->setTitle((ceiling ? QObject::tr("Achieved req/s per ceiling step") : QObject::tr("Requests per second")) +
                         " — " + of);
    ms_chart_->setTitle((ceiling ? QObject::tr("Latency per ceiling step") : QObject::tr("Latency per second")) + " — " +
                        of);
    // Run names in the legend only when two runs share the charts ("#3 p99" beside "#5 p99").
    const QStringList names = of.split(QStringLiteral(" vs "));
    for (int run = 0; run < 2; ++run)
        for (int metric = kRps; metric <= kP99; ++metric) {
            const QString base = metric == kRps ? "req/s" : metric == kP50 ? "p50" : "p99";
            line(run, metric).name = names.size() == 2 ? names[run].section(' ', -1) + " " + base : base;
        }
    rps_chart_->legend()->setVisible(names.size() == 2);
}

void RunCharts::add(int run, double x, double rps, std::optional<double> p50_ms, std::optional<double> p99_ms) {
    run = std::clamp(run, 0, 1);
    const auto r = static_cast<std::size_t>(run);
    if (last_x_[r] > 0 && x - last_x_[r] > 1.5)  // seconds missing: nothing is known between them
        for (int metric = kRps; metric <= kP99; ++metric) line(run, metric).broken = true;
    last_x_[r] = x;
    append(line(run, kRps), x, rps);
    if (p50_ms && p99_ms) {
        append(line(run, kP50), x, *p50_ms);
        append(line(run, kP99), x, *p99_ms);
    } else {  // nothing answered: no latency to draw, the lines resume after it
        line(run, kP50).broken = line(run, kP99).broken = true;
    }
}

void RunCharts::settle() {
    double rps = 0, ms = 0, x = 0;
    for (const auto& l : lines_)
        for (const auto* s : l.parts)
            for (const QPointF& p : s->points()) {
                x = std::max(x, p.x());
                double& top = l.metric == kRps ? rps : ms;
                top = std::max(top, p.y());
            }
    fit(rps_y_, std::max(1.0, rps * 1.05), true);
    fit(ms_y_, std::max(0.01, ms * 1.05), false);
    for (auto* axis : {rps_x_, ms_x_}) fit(axis, std::max(2.0, x), true);
}

void RunCharts::setDistribution(const std::vector<Histogram>& runs, const QString& of) {
    dist_chart_->removeAllSeries();
    for (auto* axis : dist_chart_->axes()) {
        dist_chart_->removeAxis(axis);
        delete axis;
    }
    dist_chart_->setTitle(QObject::tr("Latency distribution (requests per band) — %1").arg(of));
    // Bands spanning every run shown, so that their bars stand side by side.
    double lo = 0, hi = 0;
    for (const auto& h : runs) {
        if (h.buckets.empty()) continue;
        const double a = static_cast<double>(h.buckets.front().first);
        const double b = static_cast<double>(h.buckets.back().first) * 1.016;  // the last bucket's end
        lo = lo == 0 ? a : std::min(lo, a);
        hi = std::max(hi, b);
    }
    if (hi == 0) return;  // a ceiling search: its steps each have their own
    auto* series = new QBarSeries;
    QStringList labels;
    double top = 1;
    for (const auto& h : runs) {
        const auto bars = inspector::histogram_bars(h.buckets, kBands, lo, hi);
        auto* set = new QBarSet(h.name);
        for (const auto& b : bars) {
            *set << static_cast<double>(b.count);
            top = std::max(top, static_cast<double>(b.count));
            if (labels.size() < static_cast<int>(bars.size())) labels << QString::number(b.from_ms, 'g', 2);
        }
        series->append(set);
    }
    dist_chart_->addSeries(series);
    auto* x = new QBarCategoryAxis;
    x->append(labels);
    x->setTitleText(QObject::tr("latency from (ms)"));
    auto* y = new QValueAxis;
    fit(y, top * 1.05, true);
    y->setTitleText(QObject::tr("requests"));
    compact(x);
    compact(y);
    dist_chart_->addAxis(x, Qt::AlignBottom);
    dist_chart_->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    dist_chart_->legend()->setVisible(runs.size() > 1);
}

QString RunCharts::throughputTitle() const { return rps_chart_->title(); }

int RunCharts::points(int run) const { return line(std::clamp(run, 0, 1), kRps).count(); }

int RunCharts::lineParts(int run) const { return static_cast<int>(line(std::clamp(run, 0, 1), kP99).parts.size()); }

std::uint64_t RunCharts::distributionCount(int run) const {
    std::uint64_t n = 0;
    for (auto* s : dist_chart_->series())
        if (auto* bars = qobject_cast<QBarSeries*>(s))
            if (run < bars->count())
                for (int i = 0; i < bars->barSets()[run]->count(); ++i)
                    n += static_cast<std::uint64_t>(bars->barSets()[run]->at(i));
    return n;
}

QString RunCharts::distributionTitle() const { return dist_chart_->title(); }

}  // namespace cello::studio
