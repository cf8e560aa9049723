#include "bench_history_model.hpp"

#include "inspector/loadgen/report.hpp"

namespace cello::studio {

namespace {
QString latency(std::int64_t ns) {
    return QString::fromStdString(inspector::loadgen::format_latency(static_cast<double>(ns)));
}
}  // namespace

int BenchHistoryModel::rowOf(std::int64_t id) const {
    for (std::size_t i = 0; i < rows().size(); ++i)
        if (rows()[i].id == id) return static_cast<int>(i);
    return -1;
}

QVariant BenchHistoryModel::data(const QModelIndex& index, int role) const {
    const auto* r = run(index.row());
    if (!r) return {};
    if (role == kRunIdRole) return static_cast<qlonglong>(r->id);
    if (role == Qt::TextAlignmentRole)
        return index.column() >= Connections && index.column() <= Errors ? int(Qt::AlignRight | Qt::AlignVCenter)
                                                                          : int(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == Commit) return QString::fromStdString(r->git_commit.value_or(""));
    if (role == Qt::ToolTipRole && index.column() == Url) return QString::fromStdString(r->settings.url);
    if (role != Qt::DisplayRole) return {};
    const auto& s = r->summary;
    switch (index.column()) {
    case Id: return static_cast<qlonglong>(r->id);
    case Started: return QString::fromStdString(r->started_at);
    case Url: {  // method and path: the host is the same on most rows (the tooltip has the URL)
        const QString url = QString::fromStdString(r->settings.url);
        const auto host = url.indexOf("://");
        const auto path = host < 0 ? -1 : url.indexOf('/', host + 3);
        return QString::fromStdString(r->settings.method) + " " + (path < 0 ? url : url.mid(path));
    }
    case Mode:
        if (r->settings.ceiling) return s.ceiling_rate > 0 ? tr("ceiling %1/s").arg(s.ceiling_rate, 0, 'f', 0) : tr("ceiling -");
        return r->settings.rate > 0 ? tr("open %1/s").arg(r->settings.rate, 0, 'f', 0) : tr("closed");
    case Connections: return r->settings.connections;
    case Rps: return QString::number(s.requests_per_sec, 'f', 1);
    case P50: return latency(s.p50_ns);
    case P99: return latency(s.p99_ns);
    case Errors: return static_cast<qulonglong>(s.errors.total());
    case Commit: return r->git_commit ? QString::fromStdString(r->git_commit->substr(0, 8)) : QString("-");
    default: return {};
    }
}

QVariant BenchHistoryModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"#", "Started (UTC)", "Request", "Mode", "Conns", "req/s", "p50", "p99", "Errors",
                                  "Commit"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

}  // namespace cello::studio
