// Cache: hit ratio over time, the per-route and per-tag counters, invalidation by tag.
#pragma once

#include "models/cache_model.hpp"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineSeries;
class QPushButton;
class QValueAxis;

namespace cello::studio {

class StudioState;

class CachePage final : public QWidget {
    Q_OBJECT
public:
    explicit CachePage(StudioState& state, QWidget* parent = nullptr);
    CacheModel& routes() { return routes_; }
    CacheModel& tags() { return tags_; }
    void invalidate(const QString& tag);
    QString lastResult() const;

private:
    void refresh();

    StudioState& state_;
    CacheModel routes_{CacheModel::Kind::Routes};
    CacheModel tags_{CacheModel::Kind::Tags};
    QLineSeries* ratio_;
    QValueAxis* time_axis_;
    QComboBox* tag_;
    QPushButton* invalidate_;
    QLabel* result_;
    QLabel* size_;
};

}  // namespace cello::studio
