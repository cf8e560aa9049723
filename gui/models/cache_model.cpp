#include "cache_model.hpp"

#include "pages/table_filter.hpp"

namespace cello::studio {

void CacheModel::refresh(const inspector::LiveView& view) {
    const auto& s = view.latest();
    replaceRows(kind_ == Kind::Routes ? s.cache_routes : s.cache_tags,
                [](const inspector::CacheRow& a, const inspector::CacheRow& b) { return a.label == b.label; });
}

QStringList CacheModel::labels() const {
    QStringList out;
    for (const auto& r : rows()) out << QString::fromStdString(r.label);
    return out;
}

QVariant CacheModel::data(const QModelIndex& index, int role) const {
    const auto* row_ptr = row(index.row());
    if (!row_ptr) return {};
    const auto& r = *row_ptr;
    if (role == Qt::TextAlignmentRole && index.column() != Label) return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == kSortRole && index.column() == Ratio) return r.hits + r.misses ? r.hit_ratio : -1.0;
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
