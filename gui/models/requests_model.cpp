#include "requests_model.hpp"

#include "pages/table_filter.hpp"

#include <QColor>
#include <QDateTime>

namespace cello::studio {

void RequestsModel::refresh(const inspector::LiveView& view, const inspector::LiveView::Delta& delta) {
    view_ = &view;
    const int total = static_cast<int>(view.requests().size());
    const int dropped = static_cast<int>(std::min<std::size_t>(delta.dropped_requests, static_cast<std::size_t>(rows_)));
    if (dropped > 0) {
        // The view already let those rows go: until Qt is told, old row r is deque[r - dropped].
        offset_ = dropped;
        beginRemoveRows({}, 0, dropped - 1);
        rows_ -= dropped;
        offset_ = 0;
        endRemoveRows();
    }
    if (total > rows_) {
        beginInsertRows({}, rows_, total - 1);
        rows_ = total;
        endInsertRows();
    } else if (total < rows_) {  // should not happen; resynchronise
        beginResetModel();
        rows_ = total;
        endResetModel();
    }
}

void RequestsModel::clear() {
    beginResetModel();
    rows_ = 0;
    view_ = nullptr;
    endResetModel();
}

const inspector::RequestRow* RequestsModel::row(int r) const {
    if (!view_ || r < offset_ || r >= rows_) return nullptr;
    const auto index = static_cast<std::size_t>(r - offset_);
    return index < view_->requests().size() ? &view_->requests()[index] : nullptr;
}

int RequestsModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : rows_; }
int RequestsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant RequestsModel::data(const QModelIndex& index, int role) const {
    const auto* r = row(index.row());
    if (!r) return {};
    if (role == Qt::ForegroundRole && index.column() == Status) {
        if (r->status >= 500) return QColor(Qt::red);
        if (r->status >= 400) return QColor(0xb0, 0x60, 0x00);
    }
    const bool n_plus_one = r->db_repeats >= inspector::kNPlusOneRepeats;
    if (role == Qt::ForegroundRole && index.column() == Queries && n_plus_one) return QColor(0xb0, 0x60, 0x00);
    if (role == Qt::ToolTipRole && index.column() == Queries && r->db_queries)
        return tr("%1 ms in queries; the most repeated statement ran %2 times%3")
            .arg(static_cast<double>(r->db_ns) / 1e6, 0, 'f', 3)
            .arg(r->db_repeats)
            .arg(n_plus_one ? tr(" (N+1)") : QString());
    if (role == kSortRole) {
        if (index.column() == Time) return static_cast<qlonglong>(r->time_ns);
        if (index.column() == Latency) return static_cast<qlonglong>(r->latency_ns);
        if (index.column() == Queries) return r->db_queries;
        return data(index, Qt::DisplayRole);
    }
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
        case Time:
            return QDateTime::fromMSecsSinceEpoch(r->time_ns / 1'000'000).toString("HH:mm:ss.zzz");
        case Method: return QString::fromStdString(r->method);
        case Path: return QString::fromStdString(r->path);
        case Status: return r->status;
        case Latency: return QString::number(static_cast<double>(r->latency_ns) / 1e6, 'f', 3);
        case Cache: return QString::fromStdString(r->cache);
        case Bytes: return static_cast<qulonglong>(r->bytes_out);
        case Queries: return r->db_queries ? QVariant(r->db_queries) : QVariant(QString());
        case Protocol:
            return r->tls.empty() ? QString::fromStdString(r->protocol)
                                  : QString::fromStdString(r->protocol + " " + r->tls);
        case Route: return QString::fromStdString(r->route);
        default: return {};
    }
}

QVariant RequestsModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || section < 0 || section >= ColumnCount) return {};
    // The same figures as the request log and /metrics (docs/studio.md, "What the figures mean").
    static const char* names[] = {"Time", "Method", "Path", "Status", "Latency ms", "Cache", "Sent", "Queries", "Protocol", "Route"};
    static const char* tips[] = {"When the response was written", "", "Path and query", "",
                                 "From the request's first byte to the response written to the socket", "",
                                 "Bytes of the response as written: status line, headers and body",
                                 "Database queries the handler ran (cello.db)",
                                 "HTTP version, and the TLS version when the connection is HTTPS", ""};
    if (role == Qt::ToolTipRole && *tips[section]) return tr(tips[section]);
    return role == Qt::DisplayRole ? QVariant(tr(names[section])) : QVariant();
}

bool RequestsFilter::lessThan(const QModelIndex& left, const QModelIndex& right) const {
    return QVariant::compare(left.data(kSortRole), right.data(kSortRole)) == QPartialOrdering::Less;
}

void RequestsFilter::setStatusClass(int hundreds) {
    status_class_ = hundreds;
    invalidateRowsFilter();
}

void RequestsFilter::setRoute(const QString& label) {
    route_ = label;
    invalidateRowsFilter();
}

void RequestsFilter::setText(const QString& text) {
    text_ = text;
    invalidateRowsFilter();
}

bool RequestsFilter::filterAcceptsRow(int source_row, const QModelIndex&) const {
    const auto* model = static_cast<const RequestsModel*>(sourceModel());
    const auto* r = model->row(source_row);
    if (!r) return false;
    if (status_class_ && r->status / 100 != status_class_) return false;
    if (!route_.isEmpty() && QString::fromStdString(r->route) != route_) return false;
    if (!text_.isEmpty() && !QString::fromStdString(r->path).contains(text_, Qt::CaseInsensitive)) return false;
    return true;
}

}  // namespace cello::studio
