#pragma once

#include "screen.h"

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace oxm {

class OxmService;
class RequestLogModel;
class ServiceHost;

/// Screen 6, "Server": the listening address and state, the database in use, Start / Stop /
/// Restart and the settings, and a live request log (fed by RequestHandler::requestCompleted
/// from the HTTP threads, batched by RequestLogModel) that can be filtered and paused.
class ServerScreen final : public Screen
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServerScreen)

public:
    explicit ServerScreen(ServiceHost &host, QWidget *parent = nullptr);

    void refresh() override;
    /// Opens the settings dialog; on Save, remembers the settings and restarts the service.
    void editSettings();

    RequestLogModel *logModel() const { return m_log; }
    QSortFilterProxyModel *logProxy() const { return m_proxy; }
    QTableView *logView() const { return m_view; }
    QLineEdit *filterEdit() const { return m_filter; }
    QCheckBox *pauseBox() const { return m_pause; }

Q_SIGNALS:
    /// The user saved new settings (the window remembers them).
    void settingsEdited();

private:
    void connectService(OxmService *service);
    void updateCount();

    ServiceHost &m_host;
    RequestLogModel *m_log;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_view;
    QLabel *m_state;
    QLabel *m_address;
    QLabel *m_database;
    QLabel *m_details;
    QLabel *m_error;
    QPushButton *m_start;
    QPushButton *m_stop;
    QPushButton *m_restart;
    QPushButton *m_settings;
    QLineEdit *m_filter;
    QCheckBox *m_pause;
    QPushButton *m_clear;
    QLabel *m_count;
};

} // namespace oxm
