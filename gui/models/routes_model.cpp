#include "routes_model.hpp"

#include <QColor>

namespace cello::studio {

namespace {
QString ms(std::int64_t ns) { return QString::number(static_cast<double>(ns) / 1e6, 'f', 3); }
}  // namespace

void RoutesModel::refresh(const inspector::LiveView& view) {
    replaceRows(view.latest().routes, [](const inspector::RouteRow& a, const inspector::RouteRow& b) {
        return a.info.id == b.info.id && a.live == b.live;
    });
}

QVariant RoutesModel::data(const QModelIndex& index, int role) const {
    const auto* r = row(index.row());
    if (!r) return {};
    const auto& t = r->stats.total;
    if (role == kRouteIdRole) return static_cast<qulonglong>(r->info.id);
    if (role == Qt::ForegroundRole && !r->live) return QColor(Qt::gray);
    if (role == Qt::TextAlignmentRole && index.column() >= Count && index.column() <= HitRatio)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && !r->live) return tr("removed by a reload; its numbers are kept");
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
        case Method: return QString::fromStdString(r->info.method);
        case Pattern: return QString::fromStdString(r->info.pattern);
        case Handler: return QString::fromStdString(r->info.name);
        case Count: return static_cast<qulonglong>(t.count);
        case P50: return t.count ? ms(t.p50_ns) : QString();
        case P99: return t.count ? ms(t.p99_ns) : QString();
        case Errors: return static_cast<qulonglong>(t.errors_5xx);
        case HitRatio:
            return r->info.cached && (r->stats.cache_hits + r->stats.cache_misses)
                       ? QString::number(r->stats.hit_ratio * 100, 'f', 1) + " %"
                       : QString();
        case Source:
            return r->info.file.empty() ? QString()
                                        : QString::fromStdString(r->info.file) + ":" + QString::number(r->info.line);
        default: return {};
    }
}

QVariant RoutesModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"Method", "Route", "Handler", "Count", "p50 ms", "p99 ms", "5xx", "Cache hits", "Source"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

}  // namespace cello::studio
