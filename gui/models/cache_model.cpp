#include "cache_model.hpp"

namespace cello::studio {

void CacheModel::refresh(const inspector::LiveView& view) {
    const auto& rows = kind_ == Kind::Routes ? view.latest().cache_routes : view.latest().cache_tags;
    if (rows.size() != rows_.size()) {
        beginResetModel();
        rows_ = rows;
        endResetModel();
        return;
    }
    rows_ = rows;
    if (!rows_.empty()) Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

void CacheModel::clear() {
    beginResetModel();
    rows_.clear();
    endResetModel();
}

QStringList CacheModel::labels() const {
    QStringList out;
    for (const auto& r : rows_) out << QString::fromStdString(r.label);
    return out;
}

int CacheModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : static_cast<int>(rows_.size()); }
int CacheModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant CacheModel::data(const QModelIndex& index, int role) const {
    if (index.row() < 0 || index.row() >= rowCount()) return {};
    const auto& r = rows_[static_cast<std::size_t>(index.row())];
    if (role == Qt::TextAlignmentRole && index.column() != Label) return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
        case Label: return QString::fromStdString(r.label);
        case Hits: return static_cast<qulonglong>(r.hits);
        case Misses: return static_cast<qulonglong>(r.misses);
        case Ratio: return r.hits + r.misses ? QString::number(r.hit_ratio * 100, 'f', 1) + " %" : QString();
        case Stores: return static_cast<qulonglong>(r.stores);
        case Evictions: return static_cast<qulonglong>(r.evictions);
        case Invalidations: return static_cast<qulonglong>(r.invalidations);
        default: return {};
    }
}

QVariant CacheModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"", "Hits", "Misses", "Hit ratio", "Stores", "Evictions", "Invalidations"};
    if (section == Label) return kind_ == Kind::Routes ? tr("Route") : tr("Tag");
    return section > 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

}  // namespace cello::studio
