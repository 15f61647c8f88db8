#pragma once

#include "screen.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QSplitter;
class QTableView;
class QTimer;

namespace oxm {

class ActivityChart;
class AssetCountsModel;
class CountCard;
class LiveStreamsModel;
class ServiceHost;
class StreamsFilterProxy;
class TenantCountsModel;

/// Screen 1, "Live": active streams now (total, per tenant, per asset with a drill-down to each
/// stream), refused admissions per reason since start, and a per-tenant timeline. Samples the
/// in-memory StreamRegistry once a second (snapshot() and counters(), no SQL) and updates the
/// models in place. "End stream" ends the selected stream as an administrator (409/1053 after).
class LiveScreen final : public Screen
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LiveScreen)

public:
    explicit LiveScreen(ServiceHost &host, QWidget *parent = nullptr);

    /// Takes one sample now (also run by the one-second timer).
    void refresh() override;
    /// Ends the stream selected in the streams table. Returns false when none is selected or it
    /// was no longer active.
    bool endSelectedStream();
    /// Shows only the streams of one tenant's asset (as selecting it in the asset table does);
    /// empty strings show all.
    void drillDown(const QString &tenant, const QString &asset);

    LiveStreamsModel *streamsModel() const { return m_streams; }
    AssetCountsModel *assetsModel() const { return m_assets; }
    TenantCountsModel *tenantsModel() const { return m_tenants; }
    StreamsFilterProxy *streamsProxy() const { return m_streamsProxy; }
    QTableView *streamsView() const { return m_streamsView; }
    QTableView *assetsView() const { return m_assetsView; }
    ActivityChart *chart() const { return m_chart; }
    QTimer *timer() const { return m_timer; }
    QComboBox *windowBox() const { return m_window; }
    QSplitter *splitter() const { return m_splitter; }
    QPushButton *endButton() const { return m_endStream; }
    /// The total shown for refusals with `code` (1050, 1051, 1052 or 1053), or -1.
    qint64 refusedShown(int code) const;
    /// The total of active streams shown.
    qint64 activeShown() const;

private:
    void updateActions();
    void onAssetSelected();

    ServiceHost &m_host;
    LiveStreamsModel *m_streams;
    AssetCountsModel *m_assets;
    TenantCountsModel *m_tenants;
    StreamsFilterProxy *m_streamsProxy;
    QSortFilterProxyModel *m_assetsProxy;
    QSortFilterProxyModel *m_tenantsProxy;
    CountCard *m_total;
    CountCard *m_refused1050;
    CountCard *m_refused1051;
    CountCard *m_refused1052;
    CountCard *m_refused1053;
    QTableView *m_tenantsView;
    QTableView *m_assetsView;
    QTableView *m_streamsView;
    QLineEdit *m_filter;
    QLabel *m_scopeLabel;
    QPushButton *m_showAll;
    QPushButton *m_endStream;
    ActivityChart *m_chart;
    QComboBox *m_window;
    QSplitter *m_splitter;
    QTimer *m_timer;
};

} // namespace oxm
