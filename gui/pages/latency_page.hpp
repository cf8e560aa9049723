// Latency: p50/p99 over the last minute (all routes), and the latency histogram of one route.
#pragma once

#include <QWidget>

class QChart;
class QLineSeries;
class QBarSeries;
class QBarSet;
class QBarCategoryAxis;
class QValueAxis;
class QComboBox;

namespace cello::studio {

class StudioState;

class LatencyPage final : public QWidget {
    Q_OBJECT
public:
    explicit LatencyPage(StudioState& state, QWidget* parent = nullptr);
    int p50PointCount() const;
    qreal histogramTotal() const;  // requests drawn in the histogram
    QComboBox* routeChooser() const { return route_; }

private:
    void refresh();

    StudioState& state_;
    QLineSeries* p50_;
    QLineSeries* p99_;
    QValueAxis* time_axis_;
    QValueAxis* ms_axis_;
    QComboBox* route_;
    QBarSet* bars_;
    QBarCategoryAxis* bar_axis_;
    QValueAxis* count_axis_;
};

}  // namespace cello::studio
