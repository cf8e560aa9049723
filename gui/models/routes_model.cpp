#include "routes_model.hpp"

#include "pages/table_filter.hpp"

#include <QColor>
#include <QFileInfo>

namespace cello::studio {

namespace {
QString ms(std::int64_t ns) { return QString::number(static_cast<double>(ns) / 1e6, 'f', 3); }

// Per request of the route (every request, with or without queries).
double per_request(double total, std::uint64_t count) { return count ? total / static_cast<double>(count) : 0; }
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
    const bool has_ratio = r->info.cached && (r->stats.cache_hits + r->stats.cache_misses);
    if (role == kRouteIdRole) return static_cast<qulonglong>(r->info.id);
    if (role == Qt::ForegroundRole && !r->live) return QColor(Qt::gray);
    if (role == Qt::ForegroundRole && index.column() == Errors5xx && t.errors_5xx) return QColor(0xb0, 0x00, 0x20);
    const auto& st = r->stats;
    if (role == Qt::ForegroundRole && index.column() == Queries && st.n_plus_one) return QColor(0xb0, 0x60, 0x00);
    if (role == Qt::ToolTipRole && index.column() == Queries && st.n_plus_one)
        return tr("N+1 queries: %1 of %2 requests ran one statement %3 times or more (at most %4). A loop that "
                  "queries per item: load the rows in one query (a JOIN, or WHERE id IN (...)).")
            .arg(st.n_plus_one).arg(t.count).arg(inspector::kNPlusOneRepeats).arg(st.max_repeats);
    if (role == Qt::TextAlignmentRole && index.column() >= Count && index.column() <= DbTime)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && !r->live) return tr("removed by a reload; its numbers are kept");
    if (role == Qt::ToolTipRole && index.column() == Source && !r->info.file.empty())
        return QString::fromStdString(r->info.file) + ":" + QString::number(r->info.line);
    if (role == kSortRole) {  // numbers, so that 10 sorts after 9
        switch (index.column()) {
            case P50: return static_cast<qlonglong>(t.count ? t.p50_ns : -1);
            case P99: return static_cast<qlonglong>(t.count ? t.p99_ns : -1);
            case ErrorRate: return t.count ? static_cast<double>(t.errors_5xx) / static_cast<double>(t.count) : -1.0;
            case HitRatio: return has_ratio ? r->stats.hit_ratio : -1.0;
            case Queries: return per_request(static_cast<double>(st.db_queries), t.count);
            case DbTime: return per_request(static_cast<double>(st.db_ns), t.count);
            default: return {};
        }
    }
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
        case Method: return QString::fromStdString(r->info.method);
        case Pattern: return QString::fromStdString(r->info.pattern);
        case Handler: return QString::fromStdString(r->info.name);
        case Count: return static_cast<qulonglong>(t.count);
        case P50: return t.count ? ms(t.p50_ns) : QString();
        case P99: return t.count ? ms(t.p99_ns) : QString();
        case Errors4xx: return static_cast<qulonglong>(t.errors_4xx);
        case Errors5xx: return static_cast<qulonglong>(t.errors_5xx);
        case ErrorRate:
            return t.count ? QString::number(100.0 * static_cast<double>(t.errors_5xx) / static_cast<double>(t.count), 'f', 1) + " %"
                           : QString();
        case HitRatio: return has_ratio ? QString::number(r->stats.hit_ratio * 100, 'f', 1) + " %" : QString();
        case Queries:
            if (!st.db_queries) return QString();
            return QString::number(per_request(static_cast<double>(st.db_queries), t.count), 'f', 1) +
                   (st.n_plus_one ? QString(" ⚠ N+1") : QString());
        case DbTime: return st.db_queries ? ms(static_cast<std::int64_t>(per_request(static_cast<double>(st.db_ns), t.count))) : QString();
        case Source:  // the file's name; its path is in the tooltip
            return r->info.file.empty() ? QString()
                                        : QFileInfo(QString::fromStdString(r->info.file)).fileName() + ":" +
                                              QString::number(r->info.line);
        default: return {};
    }
}

QVariant RoutesModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || section < 0 || section >= ColumnCount) return {};
    static const char* names[] = {"Method", "Route",     "Handler",  "Count",       "p50 ms", "p99 ms", "4xx",
                                  "5xx",    "Error rate", "Hit ratio", "Queries/req", "DB ms/req", "Source"};
    static const char* tips[] = {"", "", "", "Requests answered since the server started", "", "",
                                 "Answers with a 4xx status (the client's mistake: not found, bad input, ...)",
                                 "Answers with a 5xx status (the server failed)",
                                 "5xx answers as a share of all answers", "Cache hits / (hits + misses), @cache routes",
                                 "Database queries per request (cello.db); N+1: one statement repeated in a request",
                                 "Time in database queries per request, including any wait for a connection",
                                 "Double-click a route to open its handler here"};
    if (role == Qt::ToolTipRole && *tips[section]) return tr(tips[section]);
    return role == Qt::DisplayRole ? QVariant(tr(names[section])) : QVariant();
}

}  // namespace cello::studio
