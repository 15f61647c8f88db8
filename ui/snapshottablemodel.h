#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QList>
#include <QSet>
#include <algorithm>
#include <utility>

namespace oxm {

/// Base of the table models that show periodic snapshots (live streams, counts, policies, …).
///
/// applySnapshot() never resets the model: rows that disappeared are removed
/// (beginRemoveRows, in contiguous runs), rows that changed are updated in place (dataChanged,
/// in contiguous runs), new rows are appended (beginInsertRows). Views and proxies therefore keep
/// their selection, scroll position and sort across refreshes.
template <typename Row>
class SnapshotTableModel : public QAbstractTableModel
{
public:
    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex &parent = {}) const override
    {
        return parent.isValid() ? 0 : int(m_rows.size());
    }

    const QList<Row> &rows() const { return m_rows; }
    const Row &rowAt(int row) const { return m_rows.at(row); }

    /// The row whose key is `key`, or -1.
    int rowOf(const QString &key) const
    {
        return int(m_keys.indexOf(key));
    }
    /// Makes the rows equal to `fresh` (matched by rowKey(); of duplicate keys the last wins)
    /// with the fewest row signals. Existing rows keep their positions; new rows go to the end.
    /// A run of changed rows gets one dataChanged over the columns that changed in it
    /// (changedColumns()), so that a sorting proxy re-sorts only when its sort column changed.
    /// Each row's key is built once per snapshot (the keys of the rows shown are kept).
    void applySnapshot(const QList<Row> &fresh)
    {
        QList<QString> freshKeys;
        freshKeys.reserve(fresh.size());
        QHash<QString, qsizetype> freshByKey;
        freshByKey.reserve(fresh.size());
        for (qsizetype i = 0; i < fresh.size(); ++i) {
            freshKeys.append(rowKey(fresh.at(i)));
            freshByKey.insert(freshKeys.constLast(), i);
        }
        // Remove the rows that are gone, last run first so earlier indexes stay valid.
        for (qsizetype last = m_rows.size() - 1; last >= 0;) {
            if (freshByKey.contains(m_keys.at(last))) {
                --last;
                continue;
            }
            qsizetype first = last;
            while (first > 0 && !freshByKey.contains(m_keys.at(first - 1)))
                --first;
            beginRemoveRows({}, int(first), int(last));
            m_rows.remove(first, last - first + 1);
            m_keys.remove(first, last - first + 1);
            endRemoveRows();
            last = first - 1;
        }
        // Update changed rows in place.
        QList<bool> seen(fresh.size(), false);
        qsizetype runStart = -1;
        int runFirstColumn = 0, runLastColumn = 0;
        const auto flushRun = [&](qsizetype endExclusive) {
            if (runStart >= 0)
                Q_EMIT dataChanged(index(int(runStart), runFirstColumn), index(int(endExclusive - 1), runLastColumn));
            runStart = -1;
        };
        for (qsizetype i = 0; i < m_rows.size(); ++i) {
            const qsizetype j = freshByKey.value(m_keys.at(i));
            seen[j] = true;
            if (sameRow(m_rows.at(i), fresh.at(j))) {
                flushRun(i);
                continue;
            }
            const auto [firstColumn, lastColumn] = changedColumns(m_rows.at(i), fresh.at(j));
            m_rows[i] = fresh.at(j);
            if (runStart < 0) {
                runStart = i;
                runFirstColumn = firstColumn;
                runLastColumn = lastColumn;
            } else {
                runFirstColumn = std::min(runFirstColumn, firstColumn);
                runLastColumn = std::max(runLastColumn, lastColumn);
            }
        }
        flushRun(m_rows.size());
        // Append the new rows (of duplicate keys only the last, the one freshByKey names).
        QList<Row> added;
        QList<QString> addedKeys;
        for (qsizetype j = 0; j < fresh.size(); ++j) {
            if (seen.at(j) || freshByKey.value(freshKeys.at(j)) != j)
                continue;
            added.append(fresh.at(j));
            addedKeys.append(freshKeys.at(j));
        }
        if (!added.isEmpty()) {
            beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + added.size() - 1));
            m_rows.append(added);
            m_keys.append(addedKeys);
            endInsertRows();
        }
    }
    /// Inserts or updates one row (by key).
    void upsert(const Row &row)
    {
        const QString key = rowKey(row);
        const int existing = rowOf(key);
        if (existing >= 0) {
            if (!sameRow(m_rows.at(existing), row)) {
                const auto [firstColumn, lastColumn] = changedColumns(m_rows.at(existing), row);
                m_rows[existing] = row;
                Q_EMIT dataChanged(index(existing, firstColumn), index(existing, lastColumn));
            }
            return;
        }
        beginInsertRows({}, int(m_rows.size()), int(m_rows.size()));
        m_rows.append(row);
        m_keys.append(key);
        endInsertRows();
    }
    /// Removes the row with this key, if any.
    void removeKey(const QString &key)
    {
        const int existing = rowOf(key);
        if (existing < 0)
            return;
        beginRemoveRows({}, existing, existing);
        m_rows.removeAt(existing);
        m_keys.removeAt(existing);
        endRemoveRows();
    }

protected:
    /// Identity of a row across snapshots.
    virtual QString rowKey(const Row &row) const = 0;
    /// Whether two rows with the same key show the same thing.
    virtual bool sameRow(const Row &a, const Row &b) const = 0;
    /// The first and last column that differ between two rows with the same key (called only
    /// when !sameRow(a, b)). The default is every column.
    virtual std::pair<int, int> changedColumns(const Row &a, const Row &b) const
    {
        Q_UNUSED(a);
        Q_UNUSED(b);
        return {0, columnCount() - 1};
    }

    QList<Row> m_rows; ///< read-only for subclasses: applySnapshot(), upsert() and removeKey() change it

private:
    QList<QString> m_keys; ///< rowKey() of each row of m_rows
};

} // namespace oxm
