#include "websockets_page.hpp"

#include "studio_state.hpp"
#include "table_filter.hpp"

#include <QLabel>
#include <QTableView>

namespace cello::studio {

WebSocketsPage::WebSocketsPage(StudioState& state, QWidget* parent)
    : QWidget(parent), summary_(new QLabel(this)), table_(new QTableView(this)) {
    summary_->setObjectName("websocketsSummary");
    summary_->setWordWrap(true);
    table_->setObjectName("websocketsTable");
    lay_out_summary_table(this, summary_, table_, &model_);
    // Room for what tells connections apart: the path (with its query) and the client.
    const std::pair<int, int> widths[] = {{WebSocketsModel::Id, 48},         {WebSocketsModel::Route, 140},
                                          {WebSocketsModel::Path, 200},      {WebSocketsModel::Client, 130},
                                          {WebSocketsModel::State, 90},      {WebSocketsModel::MessagesIn, 90},
                                          {WebSocketsModel::MessagesOut, 90}, {WebSocketsModel::BytesIn, 80},
                                          {WebSocketsModel::BytesOut, 80}};
    for (const auto& [column, width] : widths) table_->setColumnWidth(column, width);
    summary_->setText(tr("Not serving."));
    connect(&state, &StudioState::updated, this, [this, &state] { refresh(state); });
    connect(&state, &StudioState::reset, this, [this] {
        model_.clear();
        summary_->setText(tr("Not serving."));
    });
}

void WebSocketsPage::refresh(StudioState& state) {
    model_.refresh(state.view());
    const auto& s = state.view().latest();
    if (!s.workers.empty()) {
        // Each worker process keeps its own connections; the supervisor sees their counts only.
        std::uint64_t open = 0, messages = 0;
        for (const auto& w : s.workers) {
            open += w.websockets;
            messages += w.websocket_messages;
        }
        summary_->setText(tr("%1 open across the worker processes, %2 messages since they started "
                             "(a cluster lists its connections per worker: see Workers).")
                              .arg(open)
                              .arg(messages));
        return;
    }
    const auto& w = s.websockets;
    if (w.opened_total == 0) {
        summary_->setText(tr("No WebSocket connection yet: routes declared with @app.websocket(...) list their "
                             "connections here while they are open, and the last %1 that ended.")
                              .arg(engine::WebSocketRegistry::kRecentClosed));
        return;
    }
    QString text = tr("%1 open (%2 since the start): %3 messages received, %4 sent")
                       .arg(w.open)
                       .arg(w.opened_total)
                       .arg(w.messages_in)
                       .arg(w.messages_out);
    if (w.open > w.connections.size()) text += tr("; the newest %1 listed").arg(w.connections.size());
    summary_->setText(text);
}

QString WebSocketsPage::summary() const { return summary_->text(); }

}  // namespace cello::studio
