#include "storage/postgresstore.h"
#include "core/threadnice.h"

#include "domain/apierror.h"
#include "storage/migrations.h"
#include "storage/sqloperations.h"
#include "storage/threadconnections.h"

#include <QEventLoop>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>
#include <QVariant>
#include <atomic>

Q_LOGGING_CATEGORY(lcPostgres, "oxm.storage.postgres")

namespace oxm {

namespace {

const QString kDriver = QStringLiteral("QPSQL");
constexpr auto kDialect = sqlschema::Dialect::Postgres;
const QString kPolicyChannel = QStringLiteral("oxm_policies");

std::atomic<quint64> g_instances{0};

QString sql(const char *text)
{
    return QString::fromLatin1(text);
}

QSqlDatabase addConnection(const PostgresStore::ConnectionParameters &p, const QString &name)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(kDriver, name);
    if (!db.isValid())
        throw StorageError(sql("the Qt PostgreSQL driver (QPSQL) is not available; install "
                               "libqt6sql6-psql"));
    db.setHostName(p.host);
    db.setPort(p.port);
    db.setDatabaseName(p.database);
    db.setUserName(p.user);
    db.setPassword(p.password);
    db.setConnectOptions(p.options.join(QLatin1Char(';')));
    return db;
}

/// Adds a QPSQL connection `name` for `p` and opens it. Throws StorageError (transient when the
/// server cannot be reached).
void openConnection(const QString &name, const PostgresStore::ConnectionParameters &p,
                    int connectTimeoutSeconds, const QString &redactedUrl)
{
    QSqlDatabase db = addConnection(p, name);
    QStringList options = p.options;
    options << QStringLiteral("connect_timeout=%1").arg(connectTimeoutSeconds);
    db.setConnectOptions(options.join(QLatin1Char(';')));
    if (!db.open())
        throw sqlschema::postgresError(QStringLiteral("cannot connect to %1").arg(redactedUrl),
                                       db.lastError());
    // QPSQL sets the client encoding to UTF-8 on open, so identifiers arrive byte-exact.
}

/// Whether the connection still answers (the cheap check after a failed statement).
bool alive(QSqlDatabase &db)
{
    return sqlops::tryExec(db, sql("SELECT 1"));
}

} // namespace

// ------------------------------------------------------------------------------------------------
// Listener: LISTEN oxm_policies on a connection of its own thread, with an event loop.

struct PostgresStore::Listener
{
    Listener(PostgresStore &store, QString name) : store(store), name(std::move(name)) {}

    PostgresStore &store;
    const QString name;
    std::unique_ptr<QThread> thread;
    std::mutex mutex;
    QEventLoop *loop = nullptr; // guarded by mutex
    bool stopping = false;      // guarded by mutex
    bool connected = false;     // listener thread only

    void start()
    {
        thread.reset(QThread::create([this] {
            applyServiceThreadNice();
            run();
        }));
        thread->setObjectName(QStringLiteral("oxm-pg-listener"));
        thread->start();
    }

    void stop()
    {
        {
            std::lock_guard lock(mutex);
            stopping = true;
            if (loop)
                QMetaObject::invokeMethod(loop, &QEventLoop::quit, Qt::QueuedConnection);
        }
        thread->wait();
    }

    void run()
    {
        QEventLoop eventLoop;
        QTimer timer;
        timer.setInterval(std::max(50, store.m_options.listenCheckMs));
        QObject::connect(&timer, &QTimer::timeout, &eventLoop, [this] { check(); });
        {
            std::lock_guard lock(mutex);
            if (stopping)
                return;
            loop = &eventLoop;
        }
        check();
        timer.start();
        eventLoop.exec();
        {
            std::lock_guard lock(mutex);
            loop = nullptr;
        }
        disconnect();
    }

    /// Connects and subscribes when not connected; otherwise checks the connection and drops it
    /// when it fails (the next check reconnects).
    void check()
    {
        if (connected) {
            QSqlDatabase db = QSqlDatabase::database(name, false);
            if (alive(db))
                return;
            db = QSqlDatabase();
            qCWarning(lcPostgres).noquote() << "notification connection lost; reconnecting";
            disconnect();
        }
        try {
            openConnection(name, store.m_parameters, store.m_options.connectTimeoutSeconds,
                           redactedUrl(store.m_url));
        } catch (const StorageError &error) {
            QSqlDatabase::removeDatabase(name);
            qCDebug(lcPostgres).noquote() << "notification connection:" << error.what();
            return;
        }
        QSqlDatabase db = QSqlDatabase::database(name, false);
        QSqlDriver *driver = db.driver();
        QObject::connect(driver, &QSqlDriver::notification, driver,
                         [this](const QString &, QSqlDriver::NotificationSource,
                                const QVariant &payload) { store.notifyListener(payload.toString()); });
        if (!driver->subscribeToNotification(kPolicyChannel)) {
            qCWarning(lcPostgres).noquote()
                << "cannot LISTEN" << kPolicyChannel << driver->lastError().text();
            db = QSqlDatabase();
            disconnect();
            return;
        }
        connected = true;
        // Changes committed while nobody listened were missed: before a reconnection, and also
        // between the service's first load of the policies and this first LISTEN.
        store.notifyListener(QString());
    }

    void disconnect()
    {
        connected = false;
        {
            QSqlDatabase db = QSqlDatabase::database(name, false);
            if (db.isValid())
                db.close();
        }
        QSqlDatabase::removeDatabase(name);
    }
};

// ------------------------------------------------------------------------------------------------

bool PostgresStore::isPostgresUrl(const QString &url)
{
    return url.startsWith(QLatin1String("postgresql:")) || url.startsWith(QLatin1String("postgres:"));
}

PostgresStore::ConnectionParameters PostgresStore::parseUrl(const QString &url)
{
    const QUrl parsed(url, QUrl::StrictMode);
    const auto refuse = [&](const QString &why) {
        return StorageError(QStringLiteral("--database %1: %2 (expected "
                                           "postgresql://user:password@host:port/database)")
                                .arg(redactedUrl(url), why));
    };
    if (!isPostgresUrl(url) || !parsed.isValid())
        throw refuse(QStringLiteral("not a valid URL"));
    ConnectionParameters p;
    p.host = parsed.host(QUrl::FullyDecoded);
    p.port = parsed.port(5432);
    if (p.port <= 0 || p.port > 65535)
        throw refuse(QStringLiteral("bad port"));
    p.user = parsed.userName(QUrl::FullyDecoded);
    p.password = parsed.password(QUrl::FullyDecoded);
    QString path = parsed.path(QUrl::FullyDecoded);
    if (path.startsWith(QLatin1Char('/')))
        path.remove(0, 1);
    if (path.isEmpty() || path.contains(QLatin1Char('/')))
        throw refuse(QStringLiteral("no database name"));
    p.database = path;
    const QUrlQuery query(parsed);
    for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (key.contains(QLatin1Char(';')) || value.contains(QLatin1Char(';'))
            || key.contains(QLatin1Char('=')))
            throw refuse(QStringLiteral("bad parameter \"%1\"").arg(key));
        p.options << key + QLatin1Char('=') + value;
    }
    return p;
}

QSqlDatabase PostgresStore::addConnection(const QString &url, const QString &name)
{
    return oxm::addConnection(parseUrl(url), name);
}

QString PostgresStore::redactedUrl(const QString &url)
{
    QUrl parsed(url);
    if (!parsed.isValid())
        return QStringLiteral("(unparsable URL)");
    if (!parsed.password().isEmpty())
        parsed.setPassword(QStringLiteral("***"));
    return parsed.toString();
}

PostgresStore::PostgresStore(const QString &url) : PostgresStore(url, Options()) {}

PostgresStore::PostgresStore(const QString &url, const Options &options)
    : m_url(url)
    , m_options(options)
    , m_parameters(parseUrl(url))
    , m_connectionPrefix(QStringLiteral("oxm-pg-%1").arg(++g_instances))
{
    const ConnectionParameters parameters = m_parameters;
    const int timeout = options.connectTimeoutSeconds;
    const QString redacted = redactedUrl(url);
    m_connections = std::make_shared<ThreadConnections>(
        m_connectionPrefix,
        [parameters, timeout, redacted](const QString &name) {
            openConnection(name, parameters, timeout, redacted);
        },
        [redacted] {
            return std::make_exception_ptr(StorageError(
                QStringLiteral("PostgreSQL store %1 is not open").arg(redacted), true));
        });
}

PostgresStore::~PostgresStore()
{
    close();
}

void PostgresStore::open()
{
    std::lock_guard lifecycle(m_lifecycle);
    if (m_open)
        return;
    m_connections->setOpen(true);
    try {
        {
            QSqlDatabase db = m_connections->connection();
            sqlschema::migrate(db, m_options.targetSchemaVersion, kDialect);
        }
        m_connections->drop(); // the opening thread may never use the store again
    } catch (const StorageError &e) {
        m_connections->closeAll();
        const QString message = QString::fromUtf8(e.what());
        throw StorageError(QStringLiteral("database %1: %2").arg(redactedUrl(m_url), message),
                           e.isTransient());
    }
    m_listener = std::make_unique<Listener>(*this, m_connectionPrefix + sql("-listen"));
    m_listener->start();
    m_open = true;
}

void PostgresStore::close()
{
    std::lock_guard lifecycle(m_lifecycle);
    if (m_listener) {
        m_listener->stop();
        m_listener.reset();
    }
    m_connections->closeAll();
    m_open = false;
}

bool PostgresStore::isOpen() const
{
    std::lock_guard lifecycle(m_lifecycle);
    return m_open;
}

int PostgresStore::connectionCount() const
{
    return m_connections->count();
}

void PostgresStore::write(const std::function<void(QSqlDatabase &)> &fn)
{
    for (int attempt = 0;; ++attempt) {
        std::exception_ptr failure;
        bool broken = false;
        bool retry = false;
        {
            QSqlDatabase db = m_connections->connection();
            QSqlError error;
            if (!sqlops::tryExec(db, sql("BEGIN"), &error)) {
                // Typically a connection that outlived a server restart: nothing was done yet,
                // so reconnecting and starting over is safe.
                broken = true;
                retry = attempt == 0 && sqlschema::isPostgresConnectionLoss(error);
                failure = std::make_exception_ptr(
                    sqlschema::postgresError(sql("beginning a write transaction"), error));
            } else {
                try {
                    fn(db);
                    if (!sqlops::tryExec(db, sql("COMMIT"), &error))
                        throw sqlschema::postgresError(sql("committing a write"), error);
                    return;
                } catch (...) {
                    failure = std::current_exception();
                    // A ROLLBACK that fails too means the connection is gone.
                    broken = !sqlops::tryExec(db, sql("ROLLBACK")) && !alive(db);
                    sqlops::releaseFailedStatements();
                }
            }
        }
        if (broken)
            m_connections->drop();
        if (!retry)
            std::rethrow_exception(failure);
        qCInfo(lcPostgres) << "reconnected after a lost connection";
    }
}

void PostgresStore::read(const std::function<void(QSqlDatabase &)> &fn)
{
    for (int attempt = 0;; ++attempt) {
        std::exception_ptr failure;
        bool broken = false;
        {
            QSqlDatabase db = m_connections->connection();
            try {
                fn(db);
                return;
            } catch (...) {
                failure = std::current_exception();
                broken = !alive(db);
                sqlops::releaseFailedStatements();
            }
        }
        if (broken)
            m_connections->drop();
        if (!broken || attempt > 0)
            std::rethrow_exception(failure);
        qCInfo(lcPostgres) << "reconnected after a lost connection";
    }
}

int PostgresStore::schemaVersion()
{
    int version = 0;
    read([&](QSqlDatabase &db) { version = sqlschema::currentVersion(db, kDialect); });
    return version;
}

QString PostgresStore::storeSettingOnce(const QString &name, const QString &value)
{
    QString stored;
    write([&](QSqlDatabase &db) { stored = sqlops::storeSettingOnce(db, kDialect, name, value); });
    return stored;
}

QByteArray PostgresStore::sharedJwtSecret(const QString &url)
{
    QByteArray secret(32, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(secret.data()),
                                          secret.size() / 4);
    Options options;
    options.listenCheckMs = 60000;
    PostgresStore store(url, options);
    store.open();
    return store.storeSettingOnce(QStringLiteral("jwt_secret"), QString::fromLatin1(secret.toHex()))
        .toUtf8();
}

// --- DurableStore: the statements are in sqloperations.cpp -------------------------------------

QStringList PostgresStore::tenants()
{
    QStringList result;
    read([&](QSqlDatabase &db) { result = sqlops::tenants(db, kDialect); });
    return result;
}

std::optional<StreamPolicy> PostgresStore::policy(const QString &tenant)
{
    std::optional<StreamPolicy> result;
    read([&](QSqlDatabase &db) { result = sqlops::policy(db, kDialect, tenant); });
    return result;
}

QHash<QString, StreamPolicy> PostgresStore::allPolicies()
{
    QHash<QString, StreamPolicy> result;
    read([&](QSqlDatabase &db) { result = sqlops::allPolicies(db, kDialect); });
    return result;
}

bool PostgresStore::registerTenant(const QString &tenant)
{
    bool inserted = false;
    write([&](QSqlDatabase &db) {
        inserted = sqlops::registerTenant(db, kDialect, tenant);
        if (inserted)
            sqlops::run(db, kDialect, sql("SELECT pg_notify(?, ?)"), {kPolicyChannel, tenant},
                        sql("announcing a new tenant"));
    });
    return inserted;
}

void PostgresStore::setPolicy(const QString &tenant, const StreamPolicy &policy)
{
    write([&](QSqlDatabase &db) {
        sqlops::setPolicy(db, kDialect, tenant, policy);
        sqlops::run(db, kDialect, sql("SELECT pg_notify(?, ?)"), {kPolicyChannel, tenant},
                    sql("announcing a policy change"));
    });
}

void PostgresStore::saveResumePoint(const ResumePoint &point)
{
    write([&](QSqlDatabase &db) { sqlops::saveResumePoint(db, kDialect, point); });
}

std::optional<ResumePoint> PostgresStore::resumePoint(const QString &tenant, const QString &userId,
                                                      const QString &assetId)
{
    std::optional<ResumePoint> result;
    read([&](QSqlDatabase &db) {
        result = sqlops::resumePoint(db, kDialect, tenant, userId, assetId);
    });
    return result;
}

bool PostgresStore::deleteResumePoint(const QString &tenant, const QString &userId,
                                      const QString &assetId)
{
    bool deleted = false;
    write([&](QSqlDatabase &db) {
        deleted = sqlops::deleteResumePoint(db, kDialect, tenant, userId, assetId);
    });
    return deleted;
}

QList<ResumePoint> PostgresStore::history(const QString &tenant, const QString &userId)
{
    QList<ResumePoint> result;
    read([&](QSqlDatabase &db) { result = sqlops::history(db, kDialect, tenant, userId); });
    return result;
}

DurableStore::WatchlistAdd PostgresStore::addToWatchlist(const QString &tenant,
                                                         const QString &userId,
                                                         const QString &assetId, qint64 addedNs,
                                                         int maxEntries)
{
    WatchlistAdd outcome = WatchlistAdd::Added;
    write([&](QSqlDatabase &db) {
        outcome = sqlops::addToWatchlist(db, kDialect, tenant, userId, assetId, addedNs,
                                         maxEntries);
    });
    return outcome;
}

bool PostgresStore::removeFromWatchlist(const QString &tenant, const QString &userId,
                                        const QString &assetId)
{
    bool removed = false;
    write([&](QSqlDatabase &db) {
        removed = sqlops::removeFromWatchlist(db, kDialect, tenant, userId, assetId);
    });
    return removed;
}

QStringList PostgresStore::watchlist(const QString &tenant, const QString &userId)
{
    QStringList result;
    read([&](QSqlDatabase &db) { result = sqlops::watchlist(db, kDialect, tenant, userId); });
    return result;
}

int PostgresStore::importCatalog(const QList<CatalogAsset> &assets)
{
    if (assets.isEmpty())
        return 0;
    write([&](QSqlDatabase &db) { sqlops::importCatalog(db, kDialect, assets); });
    return int(assets.size());
}

QHash<QString, QByteArray> PostgresStore::catalogAssets(const QStringList &ids)
{
    QHash<QString, QByteArray> result;
    if (ids.isEmpty())
        return result;
    read([&](QSqlDatabase &db) { result = sqlops::catalogAssets(db, kDialect, ids); });
    return result;
}

QList<CatalogAsset> PostgresStore::searchCatalog(const QString &search, int limit)
{
    QList<CatalogAsset> result;
    if (limit <= 0)
        return result;
    read([&](QSqlDatabase &db) { result = sqlops::searchCatalog(db, kDialect, search, limit); });
    return result;
}

int PostgresStore::catalogSize()
{
    int result = 0;
    read([&](QSqlDatabase &db) { result = sqlops::catalogSize(db, kDialect); });
    return result;
}

// --- notifications ----------------------------------------------------------------------------

void PostgresStore::setPolicyListener(PolicyListener listener)
{
    std::lock_guard lock(m_listenerMutex);
    m_policyListener = std::move(listener);
}

void PostgresStore::notifyListener(const QString &tenant)
{
    std::lock_guard lock(m_listenerMutex);
    if (m_policyListener)
        m_policyListener(tenant);
}

} // namespace oxm
