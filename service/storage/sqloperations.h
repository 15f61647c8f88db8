#pragma once

#include "storage/durablestore.h"
#include "storage/migrations.h"

#include <QVariantList>

#include <memory>

class QSqlDatabase;
class QSqlError;
class QSqlQuery;

namespace oxm::sqlops {

using sqlschema::Dialect;

/// The statements behind every DurableStore method, written once for SQLite and PostgreSQL
/// (schema: storage/migrations.cpp). Each function runs on the connection it is given, on the
/// caller's thread, inside whatever transaction the store has opened (writes) or none (reads);
/// the store owns threads, connections, transactions and retries. Every function throws
/// StorageError (sqlschema::storageError of the dialect) on a database fault.

/// Keeps the prepared statements of one SQLite connection on the calling thread while it lives:
/// run() and tryExec() on that connection re-execute a statement prepared before instead of
/// preparing it again (issue 6: preparing the resume-point upsert, the SAVEPOINT and the RELEASE
/// was ~165k of a heartbeat's ~520k instructions; bench/README.md). Used by SqliteStore's writer
/// thread only: a statement left unfinished would hold a read snapshot, so the writer calls
/// finishAll() after every transaction; one that failed is dropped (SQLite reports the failure
/// again on its next reset). At most 64 statements (then all are dropped). PostgreSQL
/// connections are never cached (a reconnect replaces the driver). Not copyable; the connection
/// must outlive it.
class StatementCache
{
public:
    explicit StatementCache(const QSqlDatabase &db);
    ~StatementCache();
    StatementCache(const StatementCache &) = delete;
    StatementCache &operator=(const StatementCache &) = delete;

    /// Resets every cached statement (sqlite3_reset: releases its locks, keeps it prepared).
    void finishAll();

    struct Private;

private:
    std::unique_ptr<Private> d;
};

/// Prepares and executes `sql` with positional `binds` (a null QString binds as ""); throws
/// StorageError on failure. The returned query must not outlive the caller's scope (nor, under a
/// StatementCache, the next run() of the same text on that connection).
QSqlQuery run(QSqlDatabase &db, Dialect dialect, const QString &sql, const QVariantList &binds,
              const QString &context);
/// Frees the calling thread's statements that failed (PostgreSQL keeps them until the
/// transaction has been rolled back, see sqloperations.cpp). Call after ROLLBACK and before
/// closing the connection.
void releaseFailedStatements();
/// Executes a statement without parameters; returns false (leaving the error in `error`) instead
/// of throwing (transaction control).
bool tryExec(QSqlDatabase &db, const QString &sql, QSqlError *error = nullptr);

QStringList tenants(QSqlDatabase &db, Dialect dialect);
std::optional<StreamPolicy> policy(QSqlDatabase &db, Dialect dialect, const QString &tenant);
QHash<QString, StreamPolicy> allPolicies(QSqlDatabase &db, Dialect dialect);
/// Returns false when the tenant was already registered.
bool registerTenant(QSqlDatabase &db, Dialect dialect, const QString &tenant);
void setPolicy(QSqlDatabase &db, Dialect dialect, const QString &tenant, const StreamPolicy &policy);

void saveResumePoint(QSqlDatabase &db, Dialect dialect, const ResumePoint &point);
std::optional<ResumePoint> resumePoint(QSqlDatabase &db, Dialect dialect, const QString &tenant,
                                       const QString &userId, const QString &assetId);
bool deleteResumePoint(QSqlDatabase &db, Dialect dialect, const QString &tenant,
                       const QString &userId, const QString &assetId);
QList<ResumePoint> history(QSqlDatabase &db, Dialect dialect, const QString &tenant,
                           const QString &userId);

/// Must run inside a write transaction. PostgreSQL: takes a transaction-scoped advisory lock on
/// (tenant, user) first, so concurrent adds of one user cannot pass the count check together
/// (SQLite's single writer serializes them anyway).
DurableStore::WatchlistAdd addToWatchlist(QSqlDatabase &db, Dialect dialect, const QString &tenant,
                                          const QString &userId, const QString &assetId,
                                          qint64 addedNs, int maxEntries);
bool removeFromWatchlist(QSqlDatabase &db, Dialect dialect, const QString &tenant,
                         const QString &userId, const QString &assetId);
QStringList watchlist(QSqlDatabase &db, Dialect dialect, const QString &tenant,
                      const QString &userId);

/// Must run inside a write transaction.
void importCatalog(QSqlDatabase &db, Dialect dialect, const QList<CatalogAsset> &assets);
/// More than 500 ids are read in chunks inside one read transaction (a consistent snapshot).
QHash<QString, QByteArray> catalogAssets(QSqlDatabase &db, Dialect dialect, const QStringList &ids);
/// ASCII needles are matched by the database's lower(), which folds ASCII only in both engines
/// (PostgreSQL: the columns are COLLATE "C"); other needles by QString in C++. Ordered by id.
QList<CatalogAsset> searchCatalog(QSqlDatabase &db, Dialect dialect, const QString &search,
                                  int limit);
int catalogSize(QSqlDatabase &db, Dialect dialect);

/// Stores `value` under `name` in the settings table unless a value is there already, and
/// returns the stored one (every instance sharing the database reads the same). Must run inside
/// a write transaction.
QString storeSettingOnce(QSqlDatabase &db, Dialect dialect, const QString &name,
                         const QString &value);

} // namespace oxm::sqlops
