#include "latency_page.hpp"

#include "studio_state.hpp"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>

namespace cello::studio {

namespace {
constexpr unsigned kBars = 24;

QChartView* chart_view(QChart* chart) {
    auto* v = new QChartView(chart);
    v->setRenderHint(QPainter::Antialiasing);
    v->setMinimumHeight(180);
    return v;
}
}  // namespace

LatencyPage::LatencyPage(StudioState& state, QWidget* parent)
    : QWidget(parent), state_(state), p50_(new QLineSeries), p99_(new QLineSeries), time_axis_(new QValueAxis),
      ms_axis_(new QValueAxis), route_(new QComboBox), bars_(new QBarSet("requests")),
      bar_axis_(new QBarCategoryAxis), count_axis_(new QValueAxis) {
    p50_->setName("p50");
    p99_->setName("p99");
    p50_->setPointsVisible(true);  // a lone second with traffic is still a visible point
    p99_->setPointsVisible(true);
    auto* over_time = new QChart;
    over_time->setTitle(tr("Latency over the last minute (all routes, ms)"));
    over_time->addSeries(p50_);
    over_time->addSeries(p99_);
    time_axis_->setRange(-60, 0);
    time_axis_->setLabelFormat("%d s");
    ms_axis_->setLabelFormat("%.2f");
    over_time->addAxis(time_axis_, Qt::AlignBottom);
    over_time->addAxis(ms_axis_, Qt::AlignLeft);
    for (auto* s : {p50_, p99_}) {
        s->attachAxis(time_axis_);
        s->attachAxis(ms_axis_);
    }

    auto* bars = new QBarSeries;
    bars->append(bars_);
    auto* histogram = new QChart;
    histogram->setTitle(tr("Latency histogram of the route (whole run, ms)"));
    histogram->addSeries(bars);
    histogram->legend()->hide();
    histogram->addAxis(bar_axis_, Qt::AlignBottom);
    histogram->addAxis(count_axis_, Qt::AlignLeft);
    bars->attachAxis(bar_axis_);
    bars->attachAxis(count_axis_);
    count_axis_->setLabelFormat("%d");

    route_->setObjectName("latencyRoute");
    route_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    auto* chooser = new QHBoxLayout;
    chooser->addWidget(new QLabel(tr("Route")));
    chooser->addWidget(route_);
    chooser->addStretch();
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(chart_view(over_time), 1);
    layout->addLayout(chooser);
    layout->addWidget(chart_view(histogram), 1);

    connect(route_, &QComboBox::currentIndexChanged, this, [this] {
        const QVariant id = route_->currentData();
        if (id.isValid()) state_.setHistogramRoute(static_cast<std::uint32_t>(id.toULongLong()));
    });
    connect(&state, &StudioState::updated, this, &LatencyPage::refresh);
    connect(&state, &StudioState::reset, this, [this] {
        route_->clear();
        p50_->clear();
        p99_->clear();
        bars_->remove(0, bars_->count());
    });
}

void LatencyPage::refresh() {
    const auto& s = state_.view().latest();
    for (const auto& r : s.routes) {
        if (r.info.id == inspector::kUnmatchedRoute) continue;
        if (route_->findData(static_cast<qulonglong>(r.info.id)) < 0)
            route_->addItem(QString::fromStdString(r.info.label()), static_cast<qulonglong>(r.info.id));
    }
    {
        QList<QPointF> p50, p99;
        double top = 0.1;
        const std::int64_t now = s.series.empty() ? 0 : s.series.back().second;
        for (const auto& p : s.series) {
            if (!p.requests) continue;
            const double x = static_cast<double>(p.second - now);
            p50.append({x, static_cast<double>(p.p50_ns) / 1e6});
            p99.append({x, static_cast<double>(p.p99_ns) / 1e6});
            top = std::max(top, static_cast<double>(p.p99_ns) / 1e6);
        }
        p50_->replace(p50);  // one replace per batch: a single repaint
        p99_->replace(p99);
        ms_axis_->setRange(0, top * 1.1);
    }
    if (s.histogram.empty()) {  // the chosen route has no samples (yet): no bars from another one
        if (bars_->count()) bars_->remove(0, bars_->count());
        bar_axis_->clear();
    } else {
        const auto bars = inspector::histogram_bars(s.histogram, kBars);
        QStringList labels;
        QList<qreal> counts;
        qreal top = 1;
        for (const auto& b : bars) {
            labels << QString::number(b.from_ms, 'g', 3);
            counts << static_cast<qreal>(b.count);
            top = std::max(top, static_cast<qreal>(b.count));
        }
        bars_->remove(0, bars_->count());
        bars_->append(counts);
        bar_axis_->setCategories(labels);
        count_axis_->setRange(0, top * 1.1);
    }
}

int LatencyPage::p50PointCount() const { return static_cast<int>(p50_->count()); }

qreal LatencyPage::histogramTotal() const {
    qreal n = 0;
    for (int i = 0; i < bars_->count(); ++i) n += bars_->at(i);
    return n;
}

}  // namespace cello::studio
