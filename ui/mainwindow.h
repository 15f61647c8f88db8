#pragma once

#include <QMainWindow>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace oxm {

class CatalogScreen;
class LiveScreen;
class PoliciesScreen;
class Screen;
class ServerScreen;
class ServiceHost;
class SubscribersScreen;
class TokensScreen;

/// The oxm-admin window: a sidebar of six screens (Ctrl+1…Ctrl+6), F5 to refresh, the service
/// menu (start / stop / restart / settings), and the About box. Remembers its geometry, state and
/// last screen (QSettings "window/…"). Failures the host reports are shown in a message box when
/// interactive (the default), else logged.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    enum ScreenIndex { LiveIndex, PoliciesIndex, SubscribersIndex, CatalogIndex, TokensIndex, ServerIndex, ScreenCount };

    explicit MainWindow(ServiceHost &host, QWidget *parent = nullptr);

    void showScreen(int index);
    int currentScreen() const;
    Screen *screen(int index) const;
    /// Short lower-case name ("live", "policies", …), used for screenshot file names.
    static QString screenName(int index);

    LiveScreen *liveScreen() const { return m_live; }
    PoliciesScreen *policiesScreen() const { return m_policies; }
    SubscribersScreen *subscribersScreen() const { return m_subscribers; }
    CatalogScreen *catalogScreen() const { return m_catalog; }
    TokensScreen *tokensScreen() const { return m_tokens; }
    ServerScreen *serverScreen() const { return m_server; }

    /// false: errors go to the log instead of message boxes (headless runs, screenshots, tests).
    void setInteractive(bool interactive) { m_interactive = interactive; }
    bool isInteractive() const { return m_interactive; }

    void saveLayout() const;
    void restoreLayout();

public Q_SLOTS:
    void refreshCurrent();
    void about();
    void showError(const QString &title, const QString &message);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void updateStatus();

    ServiceHost &m_host;
    QListWidget *m_sidebar;
    QStackedWidget *m_stack;
    QLabel *m_serverState;
    LiveScreen *m_live;
    PoliciesScreen *m_policies;
    SubscribersScreen *m_subscribers;
    CatalogScreen *m_catalog;
    TokensScreen *m_tokens;
    ServerScreen *m_server;
    bool m_interactive = true;
};

} // namespace oxm
