#pragma once

#include <QByteArray>
#include <QHash>
#include <QNetworkAccessManager>
#include <QObject>
#include <functional>

namespace oxm {

class MainWindow;
class ServiceHost;

/// `oxm-admin --screenshots DIR`: drives demo traffic over real HTTP against the app's own
/// service (tenants and policies, the demo catalog, tokens, heartbeats from several users and
/// devices including refused ones, watchlists, resume points, a stream ended by the admin),
/// lets the Live chart gather samples, then renders every screen to DIR/<n>-<screen>.png and
/// emits finished().
class AdminScreenshots final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminScreenshots)

public:
    AdminScreenshots(MainWindow &window, ServiceHost &host, QString directory, QObject *parent = nullptr);

    /// Starts the script (the service must be listening).
    void start();

Q_SIGNALS:
    /// The script ended; `exitCode` 0 when every screen was written.
    void finished(int exitCode);

private:
    void then(int delayMs, std::function<void()> action);
    void next();
    void send(const QByteArray &method, const QString &target, const QByteArray &token, const QByteArray &body = {});
    void heartbeat(const QByteArray &token, const QString &asset, const QString &device, int progress);
    QByteArray token(const QString &tenant, const QString &user, bool admin = false) const;
    void script();
    void capture();

    MainWindow &m_window;
    ServiceHost &m_host;
    QString m_directory;
    QNetworkAccessManager m_network;
    QList<QPair<int, std::function<void()>>> m_steps;
    int m_inFlight = 0;
    QHash<int, int> m_statuses;
    int m_requests = 0;
};

} // namespace oxm
