#include "bench_compare_model.hpp"

#include <QBrush>
#include <QColor>

#include <cmath>

namespace cello::studio {

namespace {
constexpr double kNoise = 0.05;  // differences within 5 % are not coloured: run-to-run noise
}

void BenchCompareModel::compare(const inspector::bench::BenchRun& a, const inspector::bench::BenchRun& b) {
    resetRows(inspector::bench::compare(a, b), [&] {
        a_title_ = tr("Run #%1").arg(a.id);
        b_title_ = tr("Run #%1").arg(b.id);
    });
}

void BenchCompareModel::clear() {
    resetRows({}, [this] {
        a_title_.clear();
        b_title_.clear();
    });
}

QVariant BenchCompareModel::data(const QModelIndex& index, int role) const {
    const auto* r = row(index.row());
    if (!r) return {};
    if (role == Qt::ForegroundRole && index.column() == Ratio && !r->setting && r->ratio > 0) {
        if (std::abs(r->ratio - 1) <= kNoise) return {};
        const bool better = (r->ratio > 1) == r->higher_is_better;
        return QBrush(better ? QColor(0, 130, 0) : QColor(190, 0, 0));
    }
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
    case Metric: return QString::fromStdString(r->label);
    case A: return QString::fromStdString(r->a);
    case B: return QString::fromStdString(r->b);
    case Ratio:
        if (r->setting) return r->a == r->b ? QString("=") : QString("≠");
        return r->ratio > 0 ? QString("×%1").arg(r->ratio, 0, 'g', 3) : QString("-");
    default: return {};
    }
}

QVariant BenchCompareModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Metric: return tr("Metric");
    case A: return a_title_.isEmpty() ? tr("A") : a_title_;
    case B: return b_title_.isEmpty() ? tr("B") : b_title_;
    case Ratio: return tr("B / A");
    default: return {};
    }
}

}  // namespace cello::studio
