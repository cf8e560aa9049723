// A table model over a vector of rows, shared by the studio's snapshot tables: row and column
// counts, bounds-checked row access, and the one refresh rule they all follow — the same rows
// again repaint their cells (selection and scroll position stay), different rows reset the model.
#pragma once

#include <QAbstractTableModel>

#include <vector>

namespace cello::studio {

template <class Row>
class RowsModel : public QAbstractTableModel {
public:
    explicit RowsModel(int columns, QObject* parent = nullptr) : QAbstractTableModel(parent), columns_(columns) {}

    int rowCount(const QModelIndex& parent = {}) const override {
        return parent.isValid() ? 0 : static_cast<int>(rows_.size());
    }
    int columnCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : columns_; }
    const Row* row(int r) const { return r >= 0 && r < rowCount() ? &rows_[static_cast<std::size_t>(r)] : nullptr; }
    void clear() { resetRows({}); }

protected:
    const std::vector<Row>& rows() const noexcept { return rows_; }

    // `same(a, b)`: a and b are the same row (its identity, not its numbers).
    template <class Same>
    void replaceRows(std::vector<Row> fresh, Same same) {
        bool unchanged = fresh.size() == rows_.size();
        for (std::size_t i = 0; unchanged && i < fresh.size(); ++i) unchanged = same(fresh[i], rows_[i]);
        if (!unchanged) {
            resetRows(std::move(fresh));
            return;
        }
        rows_ = std::move(fresh);
        if (!rows_.empty()) Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columns_ - 1));
    }

    // Replaces every row; `also` (run inside the reset) updates what else the model shows.
    template <class Also = void (*)()>
    void resetRows(std::vector<Row> fresh, Also also = [] {}) {
        beginResetModel();
        rows_ = std::move(fresh);
        also();
        endResetModel();
    }

private:
    std::vector<Row> rows_;
    int columns_;
};

}  // namespace cello::studio
