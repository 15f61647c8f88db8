#include "servicehost.h"

#include "formatting.h"
#include "oxmservice.h"
#include "storage/postgresstore.h"

#include <stdexcept>

namespace oxm {

ServiceHost::ServiceHost(ServerSettings settings, ConfigBuilder builder, QObject *parent)
    : QObject(parent)
    , m_settings(std::move(settings))
    , m_builder(std::move(builder))
{
    qRegisterMetaType<oxm::OxmService *>();
    m_pool.setMaxThreadCount(2);
}

ServiceHost::ServiceHost(OxmService &service, QObject *parent)
    : QObject(parent)
    , m_service(&service)
{
    qRegisterMetaType<oxm::OxmService *>();
    m_pool.setMaxThreadCount(2);
    connect(m_service, &OxmService::listeningChanged, this, &ServiceHost::stateChanged);
}

ServiceHost::~ServiceHost()
{
    m_pool.waitForDone();
    if (m_owned)
        destroyService();
}

OxmService *ServiceHost::service() const
{
    return m_service && m_service->isOpen() ? m_service : nullptr;
}

void ServiceHost::setSettings(const ServerSettings &settings)
{
    if (settings == m_settings)
        return;
    m_settings = settings;
    m_settingsChanged = true;
}

void ServiceHost::fail(const QString &message)
{
    m_lastError = message;
    Q_EMIT stateChanged();
    Q_EMIT errorOccurred(message);
}

void ServiceHost::destroyService()
{
    if (!m_owned)
        return;
    m_owned->stopListening();
    m_pool.waitForDone();
    m_service = nullptr;
    Q_EMIT serviceChanged(nullptr);
    m_owned.reset();
}

bool ServiceHost::ensureService()
{
    if (m_builder && (!m_owned || m_settingsChanged)) {
        destroyService();
        m_settingsChanged = false;
        try {
            m_owned = std::make_unique<OxmService>(m_builder(m_settings));
        } catch (const std::exception &error) {
            fail(tr("The service settings are not usable: %1").arg(QString::fromUtf8(error.what())));
            return false;
        }
        m_service = m_owned.get();
        connect(m_service, &OxmService::listeningChanged, this, &ServiceHost::stateChanged);
    }
    if (!m_service)
        return false;
    if (!m_service->isOpen()) {
        try {
            m_service->open();
        } catch (const std::exception &error) {
            fail(tr("The database could not be opened.\n\n%1").arg(QString::fromUtf8(error.what())));
            return false;
        }
        Q_EMIT serviceChanged(m_service);
    }
    return true;
}

bool ServiceHost::start()
{
    if (!ensureService())
        return false;
    if (m_service->isListening())
        return true;
    try {
        m_service->startListening();
    } catch (const std::exception &error) {
        fail(tr("The API could not start listening.\n\n%1").arg(QString::fromUtf8(error.what())));
        return false;
    }
    m_lastError.clear();
    Q_EMIT stateChanged();
    return true;
}

void ServiceHost::stop()
{
    if (m_service)
        m_service->stopListening();
}

bool ServiceHost::restart()
{
    stop();
    return start();
}

bool ServiceHost::isListening() const
{
    return m_service && m_service->isListening();
}

quint16 ServiceHost::port() const
{
    return m_service ? m_service->port() : 0;
}

QString ServiceHost::apiUrl(bool forLocalClient) const
{
    if (!isListening())
        return {};
    return format::apiUrl(m_service->config().listenAddress, m_service->port(), forLocalClient, m_service->isTls());
}

ServiceConfig ServiceHost::config() const
{
    return m_service ? m_service->config() : ServiceConfig{};
}

QString ServiceHost::databasePath() const
{
    if (!m_service)
        return {};
    const ServiceConfig &config = m_service->config();
    // A PostgreSQL URL is shown without its password.
    return config.databaseUrl.isEmpty() ? config.databasePath : PostgresStore::redactedUrl(config.databaseUrl);
}

} // namespace oxm
