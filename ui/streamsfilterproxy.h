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

private:
    QString m_scope;
    QString m_text;
};

} // namespace oxm
