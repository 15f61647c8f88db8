#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QList>
#include <QSet>

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
        for (int i = 0; i < m_rows.size(); ++i)
            if (rowKey(m_rows.at(i)) == key)
                return i;
        return -1;
    }

    /// Makes the rows equal to `fresh` (matched by rowKey(); of duplicate keys the last wins)
    /// with the fewest row signals. Existing rows keep their positions; new rows go to the end.
    void applySnapshot(const QList<Row> &fresh)
    {
        QHash<QString, qsizetype> freshByKey;
        freshByKey.reserve(fresh.size());
        for (qsizetype i = 0; i < fresh.size(); ++i)
            freshByKey.insert(rowKey(fresh.at(i)), i);

        // Remove the rows that are gone, last run first so earlier indexes stay valid.
        for (qsizetype last = m_rows.size() - 1; last >= 0;) {
            if (freshByKey.contains(rowKey(m_rows.at(last)))) {
                --last;
                continue;
            }
            qsizetype first = last;
            while (first > 0 && !freshByKey.contains(rowKey(m_rows.at(first - 1))))
                --first;
            beginRemoveRows({}, int(first), int(last));
            m_rows.remove(first, last - first + 1);
            endRemoveRows();
            last = first - 1;
        }

        // Update changed rows in place.
        QSet<qsizetype> seen;
        seen.reserve(m_rows.size());
        qsizetype runStart = -1;
        const auto flushRun = [&](qsizetype endExclusive) {
            if (runStart >= 0)
                Q_EMIT dataChanged(index(int(runStart), 0), index(int(endExclusive - 1), columnCount() - 1));
            runStart = -1;
        };
        for (qsizetype i = 0; i < m_rows.size(); ++i) {
            const qsizetype j = freshByKey.value(rowKey(m_rows.at(i)));
            seen.insert(j);
            if (sameRow(m_rows.at(i), fresh.at(j))) {
                flushRun(i);
                continue;
            }
            m_rows[i] = fresh.at(j);
            if (runStart < 0)
                runStart = i;
        }
        flushRun(m_rows.size());

        // Append the new rows.
        QList<Row> added;
        QSet<QString> addedKeys;
        for (qsizetype j = 0; j < fresh.size(); ++j) {
            if (seen.contains(j))
                continue;
            const QString key = rowKey(fresh.at(j));
            if (freshByKey.value(key) != j || addedKeys.contains(key))
                continue;
            addedKeys.insert(key);
            added.append(fresh.at(j));
        }
        if (!added.isEmpty()) {
            beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + added.size() - 1));
            m_rows.append(added);
            endInsertRows();
        }
    }

    /// Inserts or updates one row (by key).
    void upsert(const Row &row)
    {
        const int existing = rowOf(rowKey(row));
        if (existing >= 0) {
            if (!sameRow(m_rows.at(existing), row)) {
                m_rows[existing] = row;
                Q_EMIT dataChanged(index(existing, 0), index(existing, columnCount() - 1));
            }
            return;
        }
        beginInsertRows({}, int(m_rows.size()), int(m_rows.size()));
        m_rows.append(row);
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
        endRemoveRows();
    }

protected:
    /// Identity of a row across snapshots.
    virtual QString rowKey(const Row &row) const = 0;
    /// Whether two rows with the same key show the same thing.
    virtual bool sameRow(const Row &a, const Row &b) const = 0;

    QList<Row> m_rows;
};

} // namespace oxm
