#include "workers_model.hpp"

#include "pages/table_filter.hpp"

namespace cello::studio {

void WorkersModel::refresh(const inspector::LiveView& view) {
    const auto& s = view.latest();
    now_ns_ = s.now_ns;
    replaceRows(s.workers, [](const inspector::WorkerRow& a, const inspector::WorkerRow& b) { return a.pid == b.pid; });
}

QVariant WorkersModel::data(const QModelIndex& index, int role) const {
    const auto* row_ptr = row(index.row());
    if (!row_ptr) return {};
    const auto& w = *row_ptr;
    if (role == Qt::TextAlignmentRole && index.column() != State)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == kSortRole && index.column() == Memory) return static_cast<qulonglong>(w.rss_bytes);
    if (role == kSortRole && index.column() == Uptime) return static_cast<qlonglong>(now_ns_ - w.started_ns);
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
        case Slot: return w.slot;
        case Pid: return w.pid;
        case State: return QString::fromStdString(w.state);
        case Requests: return static_cast<qulonglong>(w.requests);
        case WebSockets: return static_cast<qulonglong>(w.websockets);
        case Memory: return QString::number(static_cast<double>(w.rss_bytes) / (1024.0 * 1024.0), 'f', 1) + " MB";
        case Restarts: return w.restarts;
        case Uptime: {
            const auto seconds = (now_ns_ - w.started_ns) / 1'000'000'000;
            return seconds < 0 ? QString() : QString("%1:%2").arg(seconds / 60).arg(seconds % 60, 2, 10, QChar('0'));
        }
        default: return {};
    }
}

QVariant WorkersModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"Worker", "PID", "State", "Requests", "WebSockets", "Memory (RSS)", "Restarts", "Up (m:s)"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

}  // namespace cello::studio
