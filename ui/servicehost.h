#pragma once

#include "core/serviceconfig.h"
#include "serversettings.h"

#include <QObject>
#include <QThreadPool>
#include <functional>
#include <memory>

namespace oxm {

class OxmService;

/// Owns (or borrows) the OxmService that oxm-admin hosts and lets the window start, stop and
/// restart it, or recreate it with new settings, without ever leaving the window without a
/// service object to ask. Errors (port taken, database unusable, bad settings) are kept as a
/// user-facing message and reported with errorOccurred(); the window stays usable.
///
/// Also owns the thread pool on which screens run store-backed work (runInBackground), so that
/// the service is destroyed only after that work has finished.
class ServiceHost final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServiceHost)

public:
    /// Turns settings into a ServiceConfig (app/ does it with ServerOptions). Throws
    /// std::invalid_argument with a message for the user.
    using ConfigBuilder = std::function<ServiceConfig(const ServerSettings &)>;

    /// A host that creates its service from `settings` on start().
    ServiceHost(ServerSettings settings, ConfigBuilder builder, QObject *parent = nullptr);
    /// A host around an existing service (tests, embedding); start() opens and listens it.
    explicit ServiceHost(OxmService &service, QObject *parent = nullptr);
    /// Stops serving, waits for background work and closes an owned service.
    ~ServiceHost() override;

    /// The service while its database is open, else nullptr.
    OxmService *service() const;
    /// Where screens run store-backed work.
    QThreadPool *pool() { return &m_pool; }

    ServerSettings settings() const { return m_settings; }
    /// New settings, used from the next start(): the service is recreated then.
    void setSettings(const ServerSettings &settings);

    /// Opens the database if needed and serves the API. Returns false (see lastError()) on failure.
    bool start();
    /// Stops serving (in-flight requests are answered); the database stays open.
    void stop();
    bool restart();

    bool isListening() const;
    quint16 port() const;
    /// "http://HOST:PORT/oxm/v1" while listening, else empty.
    QString apiUrl(bool forLocalClient = false) const;
    /// The database in use (or to be used): the SQLite file, or the PostgreSQL URL without its password.
    QString databasePath() const;
    /// The effective configuration of the current service (defaults when there is none).
    ServiceConfig config() const;
    /// The last failure, empty after a successful start.
    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    /// A service was opened (a new one after settings changed, or the first one); screens
    /// connect to its domain objects' signals and reload. nullptr: the service went away.
    void serviceChanged(oxm::OxmService *service);
    /// Listening started or stopped, or an error happened.
    void stateChanged();
    /// Something failed; `message` is meant for the user.
    void errorOccurred(const QString &message);

private:
    bool ensureService();
    void destroyService();
    void fail(const QString &message);

    ServerSettings m_settings;
    ConfigBuilder m_builder;
    bool m_settingsChanged = false;
    std::unique_ptr<OxmService> m_owned;
    OxmService *m_service = nullptr;
    QString m_lastError;
    QThreadPool m_pool;
};

} // namespace oxm
