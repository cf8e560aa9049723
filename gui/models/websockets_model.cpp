#include "websockets_model.hpp"

#include "pages/table_filter.hpp"

namespace cello::studio {

namespace {
QString bytes_text(std::uint64_t n) {
    if (n < 1024) return QString("%1 B").arg(n);
    if (n < 1024 * 1024) return QString::number(static_cast<double>(n) / 1024.0, 'f', 1) + " KB";
    return QString::number(static_cast<double>(n) / (1024.0 * 1024.0), 'f', 1) + " MB";
}
}  // namespace

void WebSocketsModel::refresh(const inspector::LiveView& view) {
    const auto& s = view.latest();
    now_ns_ = s.now_ns;
    std::vector<inspector::WebSocketRow> rows = s.websockets.connections;
    // The ended ones after the open ones, newest first: the one that just closed is on top of them.
    rows.insert(rows.end(), s.websockets.closed.rbegin(), s.websockets.closed.rend());
    replaceRows(std::move(rows), [](const inspector::WebSocketRow& a, const inspector::WebSocketRow& b) {
        return a.id == b.id && (a.closed_ns == 0) == (b.closed_ns == 0);
    });
}

QVariant WebSocketsModel::data(const QModelIndex& index, int role) const {
    const auto* row_ptr = row(index.row());
    if (!row_ptr) return {};
    const auto& w = *row_ptr;
    const auto end_ns = w.closed_ns ? w.closed_ns : now_ns_;
    const auto duration_s = (end_ns - w.opened_ns) / 1'000'000'000;
    const int c = index.column();
    if (role == Qt::TextAlignmentRole && (c == Id || c >= MessagesIn))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && c == State && w.closed_ns && !w.close_reason.empty())
        return QString::fromStdString(w.close_reason);
    if (role == kSortRole) {
        switch (c) {
            case BytesIn: return static_cast<qulonglong>(w.bytes_in);
            case BytesOut: return static_cast<qulonglong>(w.bytes_out);
            case Duration: return static_cast<qlonglong>(end_ns - w.opened_ns);
            default: break;
        }
    }
    if (role != Qt::DisplayRole && role != kSortRole) return {};
    switch (c) {
        case Id: return static_cast<qulonglong>(w.id);
        case Route: return QString::fromStdString(w.route);
        case Path: return QString::fromStdString(w.path);
        case Client: return QString::fromStdString(w.client);
        case State: return w.closed_ns ? tr("closed %1").arg(w.close_code) : tr("open");
        case MessagesIn: return static_cast<qulonglong>(w.messages_in);
        case MessagesOut: return static_cast<qulonglong>(w.messages_out);
        case BytesIn: return bytes_text(w.bytes_in);
        case BytesOut: return bytes_text(w.bytes_out);
        case Duration:
            return duration_s < 0 ? QString() : QString("%1:%2").arg(duration_s / 60).arg(duration_s % 60, 2, 10, QChar('0'));
        default: return {};
    }
}

QVariant WebSocketsModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"#", "Route", "Path", "Client", "State", "Messages in", "Messages out",
                                  "Bytes in", "Bytes out", "Open (m:s)"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

}  // namespace cello::studio
