#include "cache_page.hpp"

#include "studio_state.hpp"
#include "table_filter.hpp"
#include "table_view_style.hpp"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QValueAxis>
#include <QVBoxLayout>

namespace cello::studio {

namespace {
// A sortable table with its filter box above it.
QWidget* table_for(QAbstractItemModel* model, const QString& name) {
    auto* t = new QTableView;
    t->setObjectName(name);
    auto* filter = make_filter_box(t);
    sort_and_filter(t, model, filter);
    style_read_only_table(t);
    auto* box = new QWidget;
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(filter);
    layout->addWidget(t);
    return box;
}
}  // namespace

CachePage::CachePage(StudioState& state, QWidget* parent)
    : QWidget(parent), state_(state), ratio_(new QLineSeries), time_axis_(new QValueAxis), tag_(new QComboBox),
      invalidate_(new QPushButton(tr("Invalidate tag"))), result_(new QLabel), size_(new QLabel) {
    auto* chart = new QChart;
    chart->setTitle(tr("Cache hit ratio over the last minute (%)"));
    ratio_->setPointsVisible(true);
    chart->addSeries(ratio_);
    chart->legend()->hide();
    auto* y = new QValueAxis;
    y->setRange(0, 100);
    y->setLabelFormat("%d");
    time_axis_->setRange(-60, 0);
    time_axis_->setLabelFormat("%d s");
    chart->addAxis(time_axis_, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    ratio_->attachAxis(time_axis_);
    ratio_->attachAxis(y);
    auto* view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(180);

    tag_->setObjectName("invalidateTag");
    tag_->setEditable(true);
    tag_->setMinimumWidth(160);
    invalidate_->setObjectName("invalidateButton");
    result_->setObjectName("invalidateResult");
    auto* actions = new QHBoxLayout;
    actions->addWidget(new QLabel(tr("Tag")));
    actions->addWidget(tag_);
    actions->addWidget(invalidate_);
    actions->addWidget(result_, 1);
    actions->addWidget(size_);

    auto* tables = new QSplitter(Qt::Horizontal);
    tables->setObjectName("cacheTablesSplit");  // its sizes are remembered
    tables->addWidget(table_for(&routes_, "cacheRoutesTable"));
    tables->addWidget(table_for(&tags_, "cacheTagsTable"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(view, 1);
    layout->addLayout(actions);
    layout->addWidget(tables, 1);

    connect(invalidate_, &QPushButton::clicked, this, [this] { invalidate(tag_->currentText().trimmed()); });
    connect(&state, &StudioState::actionDone, this, [this](bool ok, const QString& message) {
        result_->setText(ok ? message : tr("Failed: %1").arg(message));
    });
    connect(&state, &StudioState::updated, this, &CachePage::refresh);
    connect(&state, &StudioState::reset, this, [this] {
        routes_.clear();
        tags_.clear();
        ratio_->clear();
    });
}

void CachePage::invalidate(const QString& tag) {
    if (tag.isEmpty() || !state_.source()) {
        result_->setText(tr("Choose a tag"));
        return;
    }
    state_.source()->invalidateTags({tag});
}

QString CachePage::lastResult() const { return result_->text(); }

void CachePage::refresh() {
    routes_.refresh(state_.view());
    tags_.refresh(state_.view());
    for (const auto& label : tags_.labels())
        if (tag_->findText(label) < 0) tag_->addItem(label);
    const auto& s = state_.view().latest();
    QList<QPointF> points;
    const std::int64_t now = s.series.empty() ? 0 : s.series.back().second;
    for (const auto& p : s.series)
        if (p.cache_hits + p.cache_misses) points.append({static_cast<double>(p.second - now), p.hit_ratio * 100});
    ratio_->replace(points);
    size_->setText(tr("%1 entries, %2 of %3 KiB")
                       .arg(s.cache_entries)
                       .arg(s.cache_bytes / 1024)
                       .arg(s.cache_max_bytes / 1024));
}

}  // namespace cello::studio
