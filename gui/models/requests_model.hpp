// Requests page: the live log (appended in batches, oldest rows let go beyond the view's bound),
// and the filter in front of it (status class, route, text).
#pragma once

#include "inspector/live_view.hpp"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

namespace cello::studio {

class RequestsModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Time, Method, Path, Status, Latency, Cache, Bytes, Queries, Protocol, Route, ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;
    void refresh(const inspector::LiveView& view, const inspector::LiveView::Delta& delta);
    void clear();
    const inspector::RequestRow* row(int r) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

private:
    const inspector::LiveView* view_ = nullptr;  // rows live in the view's deque
    int rows_ = 0;
    int offset_ = 0;  // during a removal: rows the view has already dropped from its front
};

class RequestsFilter final : public QSortFilterProxyModel {
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setStatusClass(int hundreds);   // 0: any; 2..5: 2xx..5xx
    void setRoute(const QString& label); // "": any
    void setText(const QString& text);   // in the path, case-insensitive

protected:
    bool filterAcceptsRow(int source_row, const QModelIndex& source_parent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;  // kSortRole numbers

private:
    int status_class_ = 0;
    QString route_, text_;
};

}  // namespace cello::studio
