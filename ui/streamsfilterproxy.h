#pragma once

#include <QSortFilterProxyModel>

namespace oxm {

/// Sorts and filters LiveStreamsModel rows: by a drill-down scope (one tenant's asset, picked in
/// the asset table) and by free text matched against every column.
class StreamsFilterProxy final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamsFilterProxy)

public:
    explicit StreamsFilterProxy(QObject *parent = nullptr);

    /// Shows only rows whose LiveStreamsModel::ScopeRole equals `scope`; empty: every row.
    void setScope(const QString &scope);
    QString scope() const { return m_scope; }
    /// Shows only rows where some column contains `text` (case-insensitive).
    void setText(const QString &text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    /// Over a LiveStreamsModel, compares the time and progress columns from the streams
    /// themselves rather than through two QVariants per comparison (the same order): sorting the
    /// thousands of streams a refresh may add was most of the admin's worst GUI stall (issue 6).
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    QString m_scope;
    QString m_text;
};

} // namespace oxm
