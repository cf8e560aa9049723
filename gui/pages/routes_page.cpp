#include "routes_page.hpp"

#include "inspector/bench/route_url.hpp"
#include "source_opener.hpp"
#include "studio_state.hpp"
#include "table_filter.hpp"
#include "table_view_style.hpp"

#include <QAction>
#include <QClipboard>
#include <QDesktopServices>
#include <QUrl>
#include <QGuiApplication>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QTableView>
#include <QVBoxLayout>

namespace cello::studio {

RoutesPage::RoutesPage(StudioState& state, QWidget* parent)
    : QWidget(parent), state_(state), table_(new QTableView(this)), docs_link_(new QLabel(this)) {
    docs_link_->setObjectName("apiDocsLink");
    connect(docs_link_, &QLabel::linkActivated, this, [](const QString& url) { QDesktopServices::openUrl(QUrl(url)); });
    docs_link_->setTextFormat(Qt::RichText);
    docs_link_->hide();
    table_->setObjectName("routesTable");
    auto* filter = make_filter_box(table_);
    filter->setPlaceholderText(tr("Filter routes"));
    sorted_ = sort_and_filter(table_, &model_, filter);
    style_read_only_table(table_);
    table_->setToolTip(tr("Double-click a route to open its handler; right-click for more"));
    table_->setContextMenuPolicy(Qt::CustomContextMenu);
    auto* header = table_->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    for (int c : {RoutesModel::Method, RoutesModel::Count, RoutesModel::P50, RoutesModel::P99, RoutesModel::Errors4xx,
                  RoutesModel::Errors5xx, RoutesModel::ErrorRate, RoutesModel::HitRatio, RoutesModel::DbTime})
        table_->setColumnWidth(c, 72);
    table_->setColumnWidth(RoutesModel::Queries, 96);
    table_->setColumnWidth(RoutesModel::Pattern, 200);
    table_->setColumnWidth(RoutesModel::Handler, 120);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(filter);
    layout->addWidget(docs_link_);
    layout->addWidget(table_);
    connect(&state, &StudioState::updated, this, [this, &state] {
        model_.refresh(state.view());
        refreshDocsLink();
    });
    connect(&state, &StudioState::reset, this, [this] {
        model_.clear();
        docs_link_->hide();
    });
    connect(table_, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        if (const auto* r = model_.row(sorted_->mapToSource(index).row())) openHandler(*r);
    });
    connect(table_, &QTableView::customContextMenuRequested, this, [this](const QPoint& at) {
        const QModelIndex index = table_->indexAt(at);
        if (!index.isValid()) return;
        if (QMenu* menu = contextMenu(sorted_->mapToSource(index).row())) {
            menu->setAttribute(Qt::WA_DeleteOnClose);
            menu->popup(table_->viewport()->mapToGlobal(at));
        }
    });
}

void RoutesPage::openHandler(const inspector::RouteRow& r) {
    if (r.info.file.empty()) {
        Q_EMIT sourceOpened(false, tr("%1 has no source file to open").arg(QString::fromStdString(r.info.label())));
        return;
    }
    const auto opened = open_source(QString::fromStdString(r.info.file), r.info.line);
    Q_EMIT sourceOpened(opened.ok, opened.message);
}

void RoutesPage::refreshDocsLink() {
    // enable_openapi() names its routes (cello/openapi.py): Swagger UI "openapi.docs", ReDoc "openapi.redoc".
    const auto& s = state_.view().latest();
    QStringList links;
    for (const auto& r : s.routes) {
        if (!r.live || r.info.method != "GET" || s.server_port == 0) continue;
        const char* label = r.info.name == "openapi.docs" ? "Swagger UI" : r.info.name == "openapi.redoc" ? "ReDoc" : nullptr;
        if (!label) continue;
        const QString url = QString::fromStdString(inspector::bench::bench_url(s.server_host, s.server_port, r.info.pattern));
        links << QString("<a href=\"%1\">%2</a>").arg(url.toHtmlEscaped(), tr(label));
    }
    const QString text = links.isEmpty() ? QString() : tr("API docs: %1").arg(links.join(" · "));
    if (text != docs_link_->text()) docs_link_->setText(text);
    docs_link_->setVisible(!links.isEmpty());
}

QString RoutesPage::urlOf(const inspector::RouteRow& r) const {
    const auto& s = state_.view().latest();
    if (s.server_port == 0 || r.info.id == inspector::kUnmatchedRoute) return {};
    return QString::fromStdString(
        inspector::bench::bench_url(s.server_host, s.server_port, inspector::bench::fill_path_params(r.info.pattern)));
}

QMenu* RoutesPage::contextMenu(int row) {
    const auto* r = model_.row(row);
    if (!r) return nullptr;
    const inspector::RouteRow route = *r;  // the model may refresh while the menu is open
    auto* menu = new QMenu(this);
    menu->setObjectName("routeMenu");
    QAction* open = menu->addAction(tr("Open handler"), this, [this, route] { openHandler(route); });
    open->setEnabled(!route.info.file.empty());
    const QString url = urlOf(route);
    const QString method = QString::fromStdString(route.info.method);
    QAction* copy_url = menu->addAction(tr("Copy URL"), this, [this, url] {
        QGuiApplication::clipboard()->setText(url);
        Q_EMIT copied(tr("Copied %1").arg(url));
    });
    QAction* copy_curl = menu->addAction(tr("Copy as curl"), this, [this, url, method] {
        const QString curl = method == "GET" ? QString("curl -i '%1'").arg(url) : QString("curl -i -X %1 '%2'").arg(method, url);
        QGuiApplication::clipboard()->setText(curl);
        Q_EMIT copied(tr("Copied %1").arg(curl));
    });
    QAction* bench = menu->addAction(tr("Benchmark this route"), this,
                                     [this, route] { Q_EMIT benchmarkRequested(QString::fromStdString(route.info.label())); });
    for (QAction* a : {copy_url, copy_curl, bench}) a->setEnabled(!url.isEmpty());
    return menu;
}

}  // namespace cello::studio
