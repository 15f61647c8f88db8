#include "oxmservice.h"

#include "auth/tokenverifier.h"
#include "core/clock.h"
#include "domain/apierror.h"
#include "domain/catalog.h"
#include "domain/policyservice.h"
#include "domain/resumepoints.h"
#include "domain/streamregistry.h"
#include "domain/watchlist.h"
#include "http/httpfrontend.h"
#include "http/requesthandler.h"
#include "metrics/metrics.h"
#include "storage/postgresstore.h"
#include "storage/sqlitestore.h"
#include "streams/redisactivestreams.h"

#include <QLoggingCategory>
#include <QTimer>
#include <mutex>
#include <stdexcept>

namespace oxm {

Q_LOGGING_CATEGORY(lcService, "oxm.service")

namespace {
// Issue 4: tokens never appear in logs. Qt's own "qt.httpserver" debug output prints every
// request with its headers, Authorization included, when enabled (QT_LOGGING_RULES); it stays
// off whatever the rules say. OXM's own categories never log headers, tokens or the secret
// (tests/tst_secrets.cpp).
QLoggingCategory::CategoryFilter g_previousFilter = nullptr;

void withoutHttpServerDebug(QLoggingCategory *category)
{
    if (g_previousFilter)
        g_previousFilter(category);
    if (qstrncmp(category->categoryName(), "qt.httpserver", 13) == 0)
        category->setEnabled(QtDebugMsg, false);
}

void keepTokensOutOfLogs()
{
    static std::once_flag once;
    std::call_once(once, [] { g_previousFilter = QLoggingCategory::installFilter(withoutHttpServerDebug); });
}
} // namespace

OxmService::OxmService(ServiceConfig config, const Clock *clock, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
{
    keepTokensOutOfLogs();
    if (!clock) {
        m_ownedClock = std::make_unique<SystemClock>();
        clock = m_ownedClock.get();
    }
    m_clock = clock;
    if (m_config.jwtSecret.isEmpty())
        throw std::runtime_error("no JWT secret configured");
    m_verifier = std::make_unique<TokenVerifier>(m_config.jwtSecret, *m_clock);
    m_issuer = std::make_unique<TokenIssuer>(m_config.jwtSecret, *m_clock);
    std::unique_ptr<ActiveStreams> activeStreams;
    if (!m_config.redisUrl.isEmpty()) {
        // Issue 5: active streams shared by every instance naming the same Redis. A bad URL is a
        // start-up error; an unreachable Redis is not (requests get 503/1503 until it answers).
        RedisClient::Url url;
        try {
            url = RedisClient::Url::parse(m_config.redisUrl);
        } catch (const std::invalid_argument &error) {
            throw std::runtime_error(error.what());
        }
        auto redis = std::make_unique<RedisActiveStreams>(url, m_config.redisKeyPrefix);
        try {
            redis->ping();
        } catch (const std::exception &error) {
            qCWarning(lcService).noquote() << "Redis" << url.toString()
                                           << "does not answer yet; stream requests get 503 until it does:"
                                           << error.what();
        }
        activeStreams = std::move(redis);
    }
    m_streams = std::make_unique<StreamRegistry>(*m_clock, m_config.streamTimeoutSeconds, std::move(activeStreams));
    m_expiryTimer = new QTimer(this);
    m_expiryTimer->setInterval(1000);
    connect(m_expiryTimer, &QTimer::timeout, this, [this] {
        try {
            m_streams->expireStale();
        } catch (const std::exception &error) {
            // Redis unreachable: the next sweep (or any request touching the user) prunes.
            qCDebug(lcService) << "expiry sweep failed:" << error.what();
        }
    });
}

OxmService::~OxmService()
{
    close();
}

void OxmService::open()
{
    if (m_store)
        return;
    // --database postgresql://… (issue 5) or the SQLite file.
    const bool postgres = !m_config.databaseUrl.isEmpty();
    const QString database = postgres ? PostgresStore::redactedUrl(m_config.databaseUrl) : m_config.databasePath;
    std::unique_ptr<DurableStore> store;
    try {
        if (postgres) {
            auto pg = std::make_unique<PostgresStore>(m_config.databaseUrl);
            pg->open();
            store = std::move(pg);
        } else {
            auto sqlite = std::make_unique<SqliteStore>(m_config.databasePath);
            sqlite->open();
            store = std::move(sqlite);
        }
    } catch (const StorageError &error) {
        throw std::runtime_error(QStringLiteral("cannot open the database %1: %2")
                                     .arg(database, QString::fromUtf8(error.what()))
                                     .toStdString());
    }
    m_store = std::move(store);
    m_policies = std::make_unique<PolicyService>(*m_store);
    m_policies->load();
    m_resumePoints = std::make_unique<ResumePoints>(*m_store, *m_clock);
    m_watchlist = std::make_unique<Watchlist>(*m_store, *m_clock);
    m_catalog = std::make_unique<Catalog>(*m_store);
    m_handler = std::make_unique<RequestHandler>(
        m_config, RequestHandler::Services{*m_clock, *m_verifier, *m_policies, *m_streams, *m_resumePoints, *m_watchlist});
    m_frontend = std::make_unique<HttpFrontend>(*m_handler, m_config);
    // /metrics: fed by what the registry and the handler signal, from the HTTP threads.
    m_metrics = std::make_unique<Metrics>(*m_streams);
    connect(m_handler.get(), &RequestHandler::requestCompleted, m_metrics.get(), &Metrics::observeRequest,
            Qt::DirectConnection);
    connect(m_streams.get(), &StreamRegistry::streamRefused, m_metrics.get(), &Metrics::observeRefusal,
            Qt::DirectConnection);
    m_handler->setMetricsSource([this] { return m_metrics->exposition(openConnections()); });
}

quint16 OxmService::startListening()
{
    if (!m_store)
        open();
    const quint16 port = m_frontend->listen(m_config.listenAddress, m_config.port, m_config.httpThreads);
    m_expiryTimer->start();
    Q_EMIT listeningChanged(true, port);
    return port;
}

void OxmService::stopListening()
{
    if (!m_frontend || !m_frontend->isListening())
        return;
    m_frontend->stop();
    m_expiryTimer->stop();
    Q_EMIT listeningChanged(false, 0);
}

void OxmService::close()
{
    stopListening();
    m_frontend.reset();
    m_handler.reset();
    m_metrics.reset();
    m_catalog.reset();
    m_watchlist.reset();
    m_resumePoints.reset();
    m_policies.reset();
    m_store.reset();
}

bool OxmService::isListening() const
{
    return m_frontend && m_frontend->isListening();
}

int OxmService::openConnections() const
{
    return m_frontend ? m_frontend->openConnections() : 0;
}

quint16 OxmService::port() const
{
    return isListening() ? m_frontend->port() : 0;
}

namespace {
template <typename T>
T &require(const std::unique_ptr<T> &object)
{
    if (!object)
        throw std::logic_error("OxmService: open() the service first");
    return *object;
}
} // namespace

DurableStore &OxmService::store() { return require(m_store); }
PolicyService &OxmService::policies() { return require(m_policies); }
StreamRegistry &OxmService::streams() { return *m_streams; }
ResumePoints &OxmService::resumePoints() { return require(m_resumePoints); }
Watchlist &OxmService::watchlist() { return require(m_watchlist); }
Catalog &OxmService::catalog() { return require(m_catalog); }
const TokenIssuer &OxmService::tokenIssuer() const { return *m_issuer; }
RequestHandler &OxmService::requestHandler() { return require(m_handler); }

} // namespace oxm
