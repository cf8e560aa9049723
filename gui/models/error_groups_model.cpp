#include "error_groups_model.hpp"

#include "pages/table_filter.hpp"

#include <QDateTime>

namespace cello::studio {

namespace {
QString clock(std::int64_t ns) { return QDateTime::fromMSecsSinceEpoch(ns / 1'000'000).toString("HH:mm:ss"); }
}  // namespace

void ErrorGroupsModel::refresh(const inspector::ErrorGroups& groups) {
    const int now = static_cast<int>(groups.groups().size());
    if (&groups != groups_ || now < rows_) {  // another set, or cleared
        beginResetModel();
        groups_ = &groups;
        rows_ = now;
        endResetModel();
        return;
    }
    if (rows_ > 0) Q_EMIT dataChanged(index(0, 0), index(rows_ - 1, ColumnCount - 1));
    if (now > rows_) {
        beginInsertRows({}, rows_, now - 1);
        rows_ = now;
        endInsertRows();
    }
}

const inspector::ErrorGroup* ErrorGroupsModel::group(int row) const {
    return groups_ && row >= 0 && row < rows_ ? &groups_->groups()[static_cast<std::size_t>(row)] : nullptr;
}

int ErrorGroupsModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : rows_; }

QVariant ErrorGroupsModel::data(const QModelIndex& index, int role) const {
    const auto* g = group(index.row());
    if (!g) return {};
    if (role == kGroupRole) return index.row();
    if (role == Qt::TextAlignmentRole && index.column() == Count) return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == kSortRole) {
        switch (index.column()) {
            case Count: return static_cast<qulonglong>(g->count);
            case FirstSeen: return static_cast<qlonglong>(g->first_ns);
            case LastSeen: return static_cast<qlonglong>(g->last_ns);
            default: return data(index, Qt::DisplayRole);
        }
    }
    if (role == Qt::ToolTipRole && index.column() == Where && !g->file.empty())
        return tr("%1, line %2 — double-click to open it").arg(QString::fromStdString(g->file)).arg(g->line);
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
        case Exception: return g->exception_type.empty() ? tr("(unknown)") : QString::fromStdString(g->exception_type);
        case Where: return g->file.empty() ? tr("(no traceback)") : QString::fromStdString(g->place());
        case Count: return static_cast<qulonglong>(g->count);
        case Routes: {
            QStringList routes;
            for (const auto& r : g->routes) routes << QString::fromStdString(r);
            return routes.join(", ");
        }
        case FirstSeen: return clock(g->first_ns);
        case LastSeen: return clock(g->last_ns);
        case Message: return QString::fromStdString(g->latest.message);
        default: return {};
    }
}

QVariant ErrorGroupsModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"Exception", "Where", "Count", "Routes", "First seen", "Last seen", "Latest message"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

}  // namespace cello::studio
