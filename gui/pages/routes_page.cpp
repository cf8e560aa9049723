#include "routes_page.hpp"

#include "source_opener.hpp"
#include "studio_state.hpp"
#include "table_view_style.hpp"

#include <QHeaderView>
#include <QTableView>
#include <QVBoxLayout>

namespace cello::studio {

RoutesPage::RoutesPage(StudioState& state, QWidget* parent) : QWidget(parent), table_(new QTableView(this)) {
    table_->setObjectName("routesTable");
    table_->setModel(&model_);
    style_read_only_table(table_);
    table_->setToolTip(tr("Double-click a route to open its handler"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(table_);
    connect(&state, &StudioState::updated, this, [this, &state] { model_.refresh(state.view()); });
    connect(&state, &StudioState::reset, this, [this] { model_.clear(); });
    connect(table_, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        const auto* r = model_.row(index.row());
        if (!r) return;
        if (r->info.file.empty()) {
            Q_EMIT sourceOpened(false, tr("%1 has no source file to open").arg(QString::fromStdString(r->info.label())));
            return;
        }
        const auto opened = open_source(QString::fromStdString(r->info.file), r->info.line);
        Q_EMIT sourceOpened(opened.ok, opened.message);
    });
}

}  // namespace cello::studio
