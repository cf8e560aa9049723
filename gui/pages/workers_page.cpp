#include "workers_page.hpp"

#include "studio_state.hpp"
#include "table_filter.hpp"

#include <QLabel>
#include <QTableView>

namespace cello::studio {

WorkersPage::WorkersPage(StudioState& state, QWidget* parent)
    : QWidget(parent), summary_(new QLabel(this)), table_(new QTableView(this)) {
    summary_->setObjectName("workersSummary");
    table_->setObjectName("workersTable");
    lay_out_summary_table(this, summary_, table_, &model_);
    summary_->setText(tr("Not serving."));
    connect(&state, &StudioState::updated, this, [this, &state] { refresh(state); });
    connect(&state, &StudioState::reset, this, [this] {
        model_.clear();
        summary_->setText(tr("Not serving."));
    });
}

void WorkersPage::refresh(StudioState& state) {
    model_.refresh(state.view());
    const auto& s = state.view().latest();
    if (s.workers.empty()) {
        summary_->setText(tr("One process: worker processes appear here when the server runs in cluster mode "
                             "(cello run app.py --processes N --inspect, then File ▸ Attach)."));
        return;
    }
    std::uint64_t requests = 0;
    std::uint64_t rss = 0;
    unsigned restarts = 0;
    for (const auto& w : s.workers) {
        requests += w.requests;
        rss += w.rss_bytes;
        restarts += w.restarts;
    }
    const auto n = s.workers.size();
    summary_->setText(tr("%1 worker %2: %3 requests answered, %4 MB resident, %5 restarts")
                          .arg(n)
                          .arg(n == 1 ? tr("process") : tr("processes"))
                          .arg(requests)
                          .arg(static_cast<double>(rss) / (1024.0 * 1024.0), 0, 'f', 1)
                          .arg(restarts));
}

QString WorkersPage::summary() const { return summary_->text(); }

}  // namespace cello::studio
