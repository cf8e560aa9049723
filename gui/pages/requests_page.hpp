// Requests: the live log with filters, and a details pane (for a failed request: its headers,
// body preview and traceback).
#pragma once

#include "models/requests_model.hpp"

#include <QWidget>

#include <cstdint>

class QComboBox;
class QNetworkAccessManager;
class QPushButton;
class QLineEdit;
class QPlainTextEdit;
class QTableView;

namespace cello::studio {

class StudioState;

class RequestsPage final : public QWidget {
    Q_OBJECT
public:
    explicit RequestsPage(StudioState& state, QWidget* parent = nullptr);
    RequestsModel& model() { return model_; }
    RequestsFilter& filter() { return filter_; }
    QString details() const;  // the details pane's text
    // The details pane's actions, for the selected request: its curl command (also copied), sending
    // it again to the server, and the selected requests as a HAR 1.2 file.
    QString copyAsCurl();
    bool replay();
    bool exportHar(const QString& path, QString* error = nullptr) const;
    QString baseUrl() const;  // where the app answers: "http://host:port" ("" when unknown)

Q_SIGNALS:
    void said(const QString& message);  // for the status bar: copied, replayed (status, time), exported

private:
    void showDetails(const QModelIndex& proxy_index);
    // The request's database queries and log lines, as the details pane shows them.
    static QString queriesAndLogs(const inspector::RequestRow& r);
    void refreshRoutes();
    const inspector::RequestRow* shownRow() const;  // the request in the details pane, if still kept
    std::vector<const inspector::RequestRow*> selectedRows() const;

    StudioState& state_;
    RequestsModel model_;
    RequestsFilter filter_;
    QTableView* table_;
    QComboBox* status_;
    QComboBox* route_;
    QLineEdit* text_;
    QPlainTextEdit* details_;
    QPushButton* curl_;
    QPushButton* replay_;
    QPushButton* har_;
    QNetworkAccessManager* net_;
    bool follow_ = true;  // keep the newest row in view unless the user scrolled up
    bool refreshing_ = false;       // inside a model refresh: selection changes are not the user's
    std::uint64_t shown_seq_ = 0;   // the request in the details pane
};

}  // namespace cello::studio
