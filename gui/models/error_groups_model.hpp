// Errors page table: one row per group of failures (StudioState::errorGroups()), which only grows
// until cleared: new groups are inserted, the others repaint, so selection and sorting hold.
#pragma once

#include "inspector/error_groups.hpp"

#include <QAbstractTableModel>

namespace cello::studio {

class ErrorGroupsModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Exception, Where, Count, Routes, FirstSeen, LastSeen, Message, ColumnCount };
    static constexpr int kGroupRole = Qt::UserRole + 2;  // the group's index in ErrorGroups

    explicit ErrorGroupsModel(QObject* parent = nullptr) : QAbstractTableModel(parent) {}
    void refresh(const inspector::ErrorGroups& groups);
    const inspector::ErrorGroup* group(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : ColumnCount; }
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

private:
    const inspector::ErrorGroups* groups_ = nullptr;
    int rows_ = 0;  // rows announced to views (the groups may have grown since)
};

}  // namespace cello::studio
