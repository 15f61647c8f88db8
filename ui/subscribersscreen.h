#pragma once

#include "screen.h"

class QComboBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTimer;

namespace oxm {

class AssetsModel;
class LiveStreamsModel;
class OxmService;
class ResumePointsModel;
class ServiceHost;

/// Screen 3, "Subscribers": look up tenant + user to see their watchlist (with catalog
/// metadata), resume points and active streams; remove a watchlist entry or delete a resume
/// point. Store work runs in the background; the active streams come from the in-memory
/// registry and refresh every second while a subscriber is shown.
class SubscribersScreen final : public Screen
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SubscribersScreen)

public:
    explicit SubscribersScreen(ServiceHost &host, QWidget *parent = nullptr);

    /// Reloads the tenants list and the shown subscriber.
    void refresh() override;
    /// Shows `user` of `tenant` (loads in the background).
    void lookUp(const QString &tenant, const QString &user);
    /// Removes the selected watchlist entry / deletes the selected resume point (background).
    void removeSelectedWatchlistEntry();
    void deleteSelectedResumePoint();

    QString tenant() const { return m_tenant; }
    QString user() const { return m_user; }
    AssetsModel *watchlistModel() const { return m_watchlist; }
    ResumePointsModel *resumePointsModel() const { return m_resumePoints; }
    LiveStreamsModel *streamsModel() const { return m_streams; }
    QTableView *watchlistView() const { return m_watchlistView; }
    QTableView *resumePointsView() const { return m_resumeView; }
    int pendingOperations() const { return m_pending; }

private:
    void loadTenants();
    void reload();
    void refreshStreams();
    void updateActions();

    ServiceHost &m_host;
    QString m_tenant;
    QString m_user;
    int m_pending = 0;
    AssetsModel *m_watchlist;
    ResumePointsModel *m_resumePoints;
    LiveStreamsModel *m_streams;
    QComboBox *m_tenantBox;
    QLineEdit *m_userEdit;
    QPushButton *m_lookUp;
    QLabel *m_summary;
    QTableView *m_watchlistView;
    QTableView *m_resumeView;
    QTableView *m_streamsView;
    QGroupBox *m_watchlistBox;
    QGroupBox *m_resumeBox;
    QGroupBox *m_streamsBox;
    QPushButton *m_removeEntry;
    QPushButton *m_deletePoint;
    QTimer *m_timer;
};

} // namespace oxm
