#pragma once

#include "storage/durablestore.h"

#include <QString>
#include <functional>
#include <memory>
#include <mutex>

class QSqlDatabase;

namespace oxm {

class ThreadConnections;

/// DurableStore on a PostgreSQL database (issue 5), through Qt Sql's QPSQL driver; several
/// oxm-server instances share one database. Same schema and migrations as SqliteStore
/// (migrations.cpp, PostgreSQL dialect: TEXT COLLATE "C" so identifiers compare and sort
/// byte-wise as in SQLite); migrating holds an advisory lock, so instances starting together
/// apply each step once.
///
/// Threads: one connection per calling thread (ThreadConnections), opened on first use and
/// closed when the thread finishes. A write runs in its own transaction (BEGIN … COMMIT) on the
/// calling thread's connection and returns after COMMIT; reads run outside a transaction
/// (catalogAssets of more than 500 ids: one REPEATABLE READ snapshot).
///
/// Faults: every method throws StorageError (transient for lost connections, serialization
/// failures, deadlocks, resource shortage; sqlschema::postgresError). After a server restart a
/// QPSQL connection still reports open while every statement fails (and its prepared statements
/// are gone): a failed statement is followed by a cheap check (`SELECT 1`), and a connection
/// that fails it is closed, so the thread's next call reconnects (statements are prepared per
/// call, so they are re-prepared). A read that failed that way is retried once on a fresh
/// connection; a write is retried only when its BEGIN failed (nothing was sent), never after,
/// as its outcome would be unknown. So only the calls in flight during the outage fail.
///
/// Cross-instance policy changes: setPolicy/registerTenant send NOTIFY oxm_policies (payload:
/// the tenant) in their transaction; a listener thread LISTENs on its own connection
/// (QSqlDriver::subscribeToNotification), checks it every Options::listenCheckMs and reconnects
/// it, reporting an empty tenant each time LISTEN is (re-)established, as changes committed while
/// nobody listened were missed (see DurableStore::setPolicyListener).
class PostgresStore final : public DurableStore
{
public:
    struct Options
    {
        int connectTimeoutSeconds = 5; ///< libpq connect_timeout
        int listenCheckMs = 1000;      ///< how often the listener checks its connection
        int targetSchemaVersion = -1;  ///< -1: latest. Lower only to build old schemas in tests
    };

    /// The parts of a postgresql://user:password@host:port/database[?param=value&…] URL
    /// (also postgres://; user, password and database %-decoded; port 5432 when absent; query
    /// parameters are libpq connection parameters, e.g. sslmode=require).
    struct ConnectionParameters
    {
        QString host;
        int port = 5432;
        QString database;
        QString user;
        QString password;
        QStringList options; ///< "key=value"
    };
    /// Whether `url` names a PostgreSQL database (scheme postgresql: or postgres:).
    static bool isPostgresUrl(const QString &url);
    /// Parses the URL. Throws StorageError (not transient) with a message for the user.
    static ConnectionParameters parseUrl(const QString &url);
    /// The URL without its password, for messages and logs.
    static QString redactedUrl(const QString &url);
    /// Adds a QPSQL connection named `name` set up for `url` (QSqlDatabase::addDatabase), not yet
    /// opened; for tools and tests that need a raw connection. Throws StorageError for a bad URL.
    static QSqlDatabase addConnection(const QString &url, const QString &name);

    explicit PostgresStore(const QString &url);
    PostgresStore(const QString &url, const Options &options);
    ~PostgresStore() override;

    PostgresStore(const PostgresStore &) = delete;
    PostgresStore &operator=(const PostgresStore &) = delete;

    /// Connects, applies missing migrations, starts the listener. Throws StorageError with a
    /// clear message when the server cannot be reached, refuses the login, or the database has a
    /// newer schema than this build knows. No-op when already open.
    void open();
    /// Stops the listener and closes every connection. Reopenable. Do not call while other
    /// threads are still calling into the store.
    void close();
    bool isOpen() const;

    /// The schema version recorded in the database.
    int schemaVersion();
    /// Connections currently open for calling threads (diagnostics; the listener's excluded).
    int connectionCount() const;
    /// Stores `value` as setting `name` unless one is stored already; returns the stored value
    /// (the same for every instance). Used for the generated JWT secret (contract §8).
    QString storeSettingOnce(const QString &name, const QString &value);

    /// The HS256 secret kept in the database `url` (setting "jwt_secret"), generated (32 random
    /// bytes, hex) and stored by whichever instance asks first. Throws StorageError.
    static QByteArray sharedJwtSecret(const QString &url);

    // --- DurableStore ---
    QStringList tenants() override;
    std::optional<StreamPolicy> policy(const QString &tenant) override;
    QHash<QString, StreamPolicy> allPolicies() override;
    bool registerTenant(const QString &tenant) override;
    void setPolicy(const QString &tenant, const StreamPolicy &policy) override;

    void saveResumePoint(const ResumePoint &point) override;
    std::optional<ResumePoint> resumePoint(const QString &tenant, const QString &userId,
                                           const QString &assetId) override;
    bool deleteResumePoint(const QString &tenant, const QString &userId,
                           const QString &assetId) override;
    QList<ResumePoint> history(const QString &tenant, const QString &userId) override;

    WatchlistAdd addToWatchlist(const QString &tenant, const QString &userId,
                                const QString &assetId, qint64 addedNs, int maxEntries) override;
    bool removeFromWatchlist(const QString &tenant, const QString &userId,
                             const QString &assetId) override;
    QStringList watchlist(const QString &tenant, const QString &userId) override;

    int importCatalog(const QList<CatalogAsset> &assets) override;
    QHash<QString, QByteArray> catalogAssets(const QStringList &ids) override;
    QList<CatalogAsset> searchCatalog(const QString &search, int limit) override;
    int catalogSize() override;

    void setPolicyListener(PolicyListener listener) override;

private:
    struct Listener;

    /// Runs `fn` in a transaction on the calling thread's connection; returns after COMMIT.
    void write(const std::function<void(QSqlDatabase &)> &fn);
    /// Runs `fn` on the calling thread's connection, retrying once after a lost connection.
    void read(const std::function<void(QSqlDatabase &)> &fn);
    /// Called by the listener thread.
    void notifyListener(const QString &tenant);

    const QString m_url;
    const Options m_options;
    const ConnectionParameters m_parameters;
    const QString m_connectionPrefix;

    mutable std::mutex m_lifecycle; ///< serializes open()/close()
    bool m_open = false;
    std::shared_ptr<ThreadConnections> m_connections;
    std::unique_ptr<Listener> m_listener;

    std::mutex m_listenerMutex; ///< held while the policy listener runs and while it is replaced
    PolicyListener m_policyListener;
};

} // namespace oxm
