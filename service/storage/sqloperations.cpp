#include "storage/sqloperations.h"

#include "domain/apierror.h"

#include <QHash>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>
#include <chrono>
#include <optional>

namespace oxm::sqlops {

namespace {

constexpr int kCatalogChunk = 500; // bound parameters per IN (...) lookup

/// PostgreSQL: statements that failed inside a transaction, kept until it has ended. QPSQL
/// prepares every statement on the server and DEALLOCATEs it when the QSqlQuery goes away;
/// inside an aborted transaction that DEALLOCATE fails (and the statement would leak).
thread_local QList<QSqlQuery> t_failedStatements;

[[noreturn]] void fail(Dialect dialect, const QString &context, QSqlQuery &query)
{
    const StorageError error = sqlschema::storageError(dialect, context, query.lastError());
    if (dialect == Dialect::Postgres)
        t_failedStatements.append(query); // shares the result: freed by releaseFailedStatements()
    throw error;
}

qint64 nowNs()
{
    using namespace std::chrono;
    return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

QString sql(const char *text)
{
    return QString::fromLatin1(text);
}

/// The catalog's metadata column as bytes: SQLite stores the bytes as TEXT and hands them back
/// as a BLOB; PostgreSQL's TEXT is UTF-8, read as a QString (QVariant::toByteArray is UTF-8).
QString metadataColumn(Dialect dialect)
{
    return dialect == Dialect::Sqlite ? sql("CAST(metadata AS BLOB)") : sql("metadata");
}

constexpr qsizetype kMaxCachedStatements = 64;

} // namespace

struct StatementCache::Private
{
    QString connectionName;
    QHash<QString, QSqlQuery> statements;
    Private *outer = nullptr; ///< the cache this one replaced on the thread (restored after)
};

namespace {

thread_local StatementCache::Private *t_statementCache = nullptr;

/// The cache of `db` on this thread, or null.
StatementCache::Private *cacheFor(const QSqlDatabase &db, Dialect dialect)
{
    StatementCache::Private *cache = t_statementCache;
    if (!cache || dialect != Dialect::Sqlite || db.connectionName() != cache->connectionName)
        return nullptr;
    return cache;
}

/// A prepared statement of `text` on `db`: the cached one when there is a cache, else a new one.
/// Returns nothing (error in `error`) when it cannot be prepared.
std::optional<QSqlQuery> statement(QSqlDatabase &db, Dialect dialect, const QString &text, QSqlError *error)
{
    StatementCache::Private *cache = cacheFor(db, dialect);
    if (cache) {
        const auto it = cache->statements.constFind(text);
        if (it != cache->statements.constEnd())
            return *it;
    }
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.prepare(text)) {
        *error = query.lastError();
        return std::nullopt;
    }
    if (cache) {
        if (cache->statements.size() >= kMaxCachedStatements)
            cache->statements.clear();
        cache->statements.insert(text, query);
    }
    return query;
}

/// After a failed execution: a cached statement is dropped (SQLite's next reset of it would
/// report the same failure, and Qt would then finalize it).
void forget(QSqlDatabase &db, Dialect dialect, const QString &text)
{
    if (StatementCache::Private *cache = cacheFor(db, dialect))
        cache->statements.remove(text);
}

} // namespace

StatementCache::StatementCache(const QSqlDatabase &db)
    : d(std::make_unique<Private>())
{
    d->connectionName = db.connectionName();
    d->outer = t_statementCache;
    t_statementCache = d.get();
}

StatementCache::~StatementCache()
{
    if (t_statementCache == d.get())
        t_statementCache = d->outer;
}

void StatementCache::finishAll()
{
    for (QSqlQuery &query : d->statements)
        query.finish();
}

QSqlQuery run(QSqlDatabase &db, Dialect dialect, const QString &text, const QVariantList &binds,
              const QString &context)
{
    QSqlError error;
    std::optional<QSqlQuery> prepared = statement(db, dialect, text, &error);
    if (!prepared)
        throw sqlschema::storageError(dialect, context, error);
    QSqlQuery &query = *prepared;
    for (qsizetype i = 0; i < binds.size(); ++i) {
        const QVariant &value = binds.at(i);
        // A null QString would bind as SQL NULL; identifiers are never NULL, "" is meant.
        if (value.typeId() == QMetaType::QString && value.toString().isNull())
            query.bindValue(int(i), QStringLiteral(""));
        else
            query.bindValue(int(i), value);
    }
    if (!query.exec()) {
        forget(db, dialect, text);
        fail(dialect, context, query);
    }
    return std::move(query);
}

void releaseFailedStatements()
{
    t_failedStatements.clear();
}

bool tryExec(QSqlDatabase &db, const QString &text, QSqlError *error)
{
    if (cacheFor(db, Dialect::Sqlite)) {
        QSqlError prepareError;
        std::optional<QSqlQuery> query = statement(db, Dialect::Sqlite, text, &prepareError);
        if (!query) {
            if (error)
                *error = prepareError;
            return false;
        }
        const bool ok = query->exec();
        if (!ok) {
            if (error)
                *error = query->lastError();
            forget(db, Dialect::Sqlite, text);
        } else {
            query->finish(); // a PRAGMA's row would otherwise keep the statement open
        }
        return ok;
    }
    QSqlQuery query(db);
    const bool ok = query.exec(text);
    if (!ok && error)
        *error = query.lastError();
    return ok;
}

// --- tenants and policies -------------------------------------------------------------------

QStringList tenants(QSqlDatabase &db, Dialect dialect)
{
    QSqlQuery query = run(db, dialect, sql("SELECT tenant FROM tenants ORDER BY tenant"), {},
                          sql("listing tenants"));
    QStringList result;
    while (query.next())
        result.append(query.value(0).toString());
    return result;
}

std::optional<StreamPolicy> policy(QSqlDatabase &db, Dialect dialect, const QString &tenant)
{
    QSqlQuery query = run(db, dialect,
                          sql("SELECT max_per_user, max_per_asset, max_devices FROM tenants"
                              " WHERE tenant = ?"),
                          {tenant}, sql("reading a policy"));
    if (!query.next())
        return std::nullopt;
    return StreamPolicy{query.value(0).toInt(), query.value(1).toInt(), query.value(2).toInt()};
}

QHash<QString, StreamPolicy> allPolicies(QSqlDatabase &db, Dialect dialect)
{
    QSqlQuery query = run(
        db, dialect, sql("SELECT tenant, max_per_user, max_per_asset, max_devices FROM tenants"), {},
        sql("reading policies"));
    QHash<QString, StreamPolicy> result;
    while (query.next())
        result.insert(query.value(0).toString(),
                      StreamPolicy{query.value(1).toInt(), query.value(2).toInt(),
                                   query.value(3).toInt()});
    return result;
}

bool registerTenant(QSqlDatabase &db, Dialect dialect, const QString &tenant)
{
    QSqlQuery query = run(db, dialect,
                          sql("INSERT INTO tenants"
                              " (tenant, max_per_user, max_per_asset, max_devices, created_ns)"
                              " VALUES (?, 0, 0, 0, ?) ON CONFLICT (tenant) DO NOTHING"),
                          {tenant, nowNs()}, sql("registering a tenant"));
    return query.numRowsAffected() == 1;
}

void setPolicy(QSqlDatabase &db, Dialect dialect, const QString &tenant, const StreamPolicy &policy)
{
    run(db, dialect,
        sql("INSERT INTO tenants"
            " (tenant, max_per_user, max_per_asset, max_devices, created_ns)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant) DO UPDATE SET"
            " max_per_user = excluded.max_per_user, max_per_asset = excluded.max_per_asset,"
            " max_devices = excluded.max_devices"),
        {tenant, policy.maxPerUser, policy.maxPerAsset, policy.maxDevices, nowNs()},
        sql("storing a policy"));
}

// --- resume points ----------------------------------------------------------------------------

void saveResumePoint(QSqlDatabase &db, Dialect dialect, const ResumePoint &point)
{
    run(db, dialect,
        sql("INSERT INTO resume_points (tenant, user_id, asset_id, progress, updated_ns)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant, user_id, asset_id) DO UPDATE SET"
            " progress = excluded.progress, updated_ns = excluded.updated_ns"
            // Writes in flight may commit out of order: the latest receive time wins.
            " WHERE excluded.updated_ns >= resume_points.updated_ns"),
        {point.tenant, point.userId, point.assetId, point.progress, point.updatedNs},
        sql("saving a resume point"));
}

std::optional<ResumePoint> resumePoint(QSqlDatabase &db, Dialect dialect, const QString &tenant,
                                       const QString &userId, const QString &assetId)
{
    QSqlQuery query = run(db, dialect,
                          sql("SELECT progress, updated_ns FROM resume_points"
                              " WHERE tenant = ? AND user_id = ? AND asset_id = ?"),
                          {tenant, userId, assetId}, sql("reading a resume point"));
    if (!query.next())
        return std::nullopt;
    return ResumePoint{tenant, userId, assetId, query.value(0).toLongLong(),
                       query.value(1).toLongLong()};
}

bool deleteResumePoint(QSqlDatabase &db, Dialect dialect, const QString &tenant,
                       const QString &userId, const QString &assetId)
{
    QSqlQuery query = run(db, dialect,
                          sql("DELETE FROM resume_points"
                              " WHERE tenant = ? AND user_id = ? AND asset_id = ?"),
                          {tenant, userId, assetId}, sql("deleting a resume point"));
    return query.numRowsAffected() > 0;
}

QList<ResumePoint> history(QSqlDatabase &db, Dialect dialect, const QString &tenant,
                           const QString &userId)
{
    QSqlQuery query = run(db, dialect,
                          sql("SELECT asset_id, progress, updated_ns FROM resume_points"
                              " WHERE tenant = ? AND user_id = ?"
                              " ORDER BY updated_ns DESC, asset_id"),
                          {tenant, userId}, sql("reading the history"));
    QList<ResumePoint> result;
    while (query.next())
        result.append(ResumePoint{tenant, userId, query.value(0).toString(),
                                  query.value(1).toLongLong(), query.value(2).toLongLong()});
    return result;
}

// --- watchlist --------------------------------------------------------------------------------

DurableStore::WatchlistAdd addToWatchlist(QSqlDatabase &db, Dialect dialect, const QString &tenant,
                                          const QString &userId, const QString &assetId,
                                          qint64 addedNs, int maxEntries)
{
    const QString context = sql("adding to a watchlist");
    if (dialect == Dialect::Postgres) {
        // READ COMMITTED: without it two adds could both count maxEntries - 1 and both insert.
        run(db, dialect,
            sql("SELECT pg_advisory_xact_lock(hashtextextended("
                "CAST(? AS TEXT) || chr(1) || CAST(? AS TEXT), 0))"),
            {tenant, userId}, context);
    }
    {
        QSqlQuery present = run(db, dialect,
                                sql("SELECT 1 FROM watchlist"
                                    " WHERE tenant = ? AND user_id = ? AND asset_id = ?"),
                                {tenant, userId, assetId}, context);
        if (present.next())
            return DurableStore::WatchlistAdd::AlreadyPresent;
    }
    {
        QSqlQuery count = run(db, dialect,
                              sql("SELECT count(*) FROM watchlist"
                                  " WHERE tenant = ? AND user_id = ?"),
                              {tenant, userId}, context);
        if (!count.next())
            throw sqlschema::storageError(dialect, context, count.lastError());
        if (count.value(0).toLongLong() >= maxEntries)
            return DurableStore::WatchlistAdd::Full;
    }
    run(db, dialect,
        sql("INSERT INTO watchlist (tenant, user_id, asset_id, added_ns) VALUES (?, ?, ?, ?)"),
        {tenant, userId, assetId, addedNs}, context);
    return DurableStore::WatchlistAdd::Added;
}

bool removeFromWatchlist(QSqlDatabase &db, Dialect dialect, const QString &tenant,
                         const QString &userId, const QString &assetId)
{
    QSqlQuery query = run(db, dialect,
                          sql("DELETE FROM watchlist"
                              " WHERE tenant = ? AND user_id = ? AND asset_id = ?"),
                          {tenant, userId, assetId}, sql("removing from a watchlist"));
    return query.numRowsAffected() > 0;
}

QStringList watchlist(QSqlDatabase &db, Dialect dialect, const QString &tenant,
                      const QString &userId)
{
    QSqlQuery query = run(db, dialect,
                          sql("SELECT asset_id FROM watchlist WHERE tenant = ? AND user_id = ?"
                              " ORDER BY seq DESC"),
                          {tenant, userId}, sql("reading a watchlist"));
    QStringList result;
    while (query.next())
        result.append(query.value(0).toString());
    return result;
}

// --- catalog ----------------------------------------------------------------------------------

void importCatalog(QSqlDatabase &db, Dialect dialect, const QList<CatalogAsset> &assets)
{
    const QString context = sql("importing the catalog");
    QSqlQuery query(db);
    // SQLite: the metadata is bound as bytes and stored as TEXT with exactly those bytes.
    // PostgreSQL: bound as text (the JSON is UTF-8).
    const QString value = dialect == Dialect::Sqlite ? sql("CAST(? AS TEXT)") : sql("?");
    if (!query.prepare(sql("INSERT INTO catalog (asset_id, metadata, updated_ns)"
                           " VALUES (?, %1, ?) ON CONFLICT (asset_id) DO UPDATE"
                           " SET metadata = excluded.metadata,"
                           " updated_ns = excluded.updated_ns")
                           .arg(value)))
        throw sqlschema::storageError(dialect, context, query.lastError());
    const qint64 now = nowNs();
    for (const CatalogAsset &asset : assets) {
        const QByteArray json = asset.json.isNull() ? QByteArray("") : asset.json;
        query.bindValue(0, asset.id.isNull() ? QStringLiteral("") : asset.id);
        query.bindValue(1, dialect == Dialect::Sqlite ? QVariant(json)
                                                      : QVariant(QString::fromUtf8(json)));
        query.bindValue(2, now);
        if (!query.exec())
            fail(dialect, QStringLiteral("importing catalog asset '%1'").arg(asset.id), query);
    }
}

QHash<QString, QByteArray> catalogAssets(QSqlDatabase &db, Dialect dialect, const QStringList &ids)
{
    QHash<QString, QByteArray> result;
    QStringList unique;
    {
        QSet<QString> seen;
        for (const QString &id : ids) {
            if (!seen.contains(id)) {
                seen.insert(id);
                unique.append(id);
            }
        }
    }
    if (unique.isEmpty())
        return result;

    const QString context = sql("reading catalog assets");
    const bool snapshot = unique.size() > kCatalogChunk; // one read transaction for all chunks
    // Transaction control is executed, not prepared (PostgreSQL cannot PREPARE it).
    const auto control = [&](const QString &statement) {
        QSqlError error;
        if (!tryExec(db, statement, &error))
            throw sqlschema::storageError(dialect, context, error);
    };
    if (snapshot)
        control(dialect == Dialect::Sqlite ? sql("BEGIN")
                                           : sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    try {
        for (qsizetype start = 0; start < unique.size(); start += kCatalogChunk) {
            const qsizetype n = std::min<qsizetype>(kCatalogChunk, unique.size() - start);
            QString text = sql("SELECT asset_id, %1 FROM catalog WHERE asset_id IN (")
                               .arg(metadataColumn(dialect));
            QVariantList binds;
            binds.reserve(n);
            for (qsizetype i = 0; i < n; ++i) {
                text += i == 0 ? sql("?") : sql(", ?");
                binds.append(unique.at(start + i));
            }
            text += QLatin1Char(')');
            QSqlQuery query = run(db, dialect, text, binds, context);
            while (query.next())
                result.insert(query.value(0).toString(), query.value(1).toByteArray());
        }
    } catch (...) {
        if (snapshot)
            tryExec(db, sql("ROLLBACK"));
        throw;
    }
    if (snapshot)
        control(sql("COMMIT"));
    return result;
}

QList<CatalogAsset> searchCatalog(QSqlDatabase &db, Dialect dialect, const QString &search,
                                  int limit)
{
    QList<CatalogAsset> result;
    if (limit <= 0)
        return result;
    const QString context = sql("searching the catalog");
    const QString select = sql("SELECT asset_id, %1 FROM catalog").arg(metadataColumn(dialect));

    bool ascii = true;
    for (const QChar c : search)
        ascii = ascii && c.unicode() < 0x80;

    if (search.isEmpty() || ascii) {
        // lower() folds ASCII only (SQLite always; PostgreSQL under COLLATE "C"), which is
        // exactly what an ASCII needle needs.
        const QString needle = search.toLower();
        const QString contains = dialect == Dialect::Sqlite
            ? sql("instr(lower(asset_id), ?) > 0 OR instr(lower(metadata), ?) > 0")
            : sql("strpos(lower(asset_id), ?) > 0 OR strpos(lower(metadata), ?) > 0");
        QSqlQuery query = search.isEmpty()
            ? run(db, dialect, select + sql(" ORDER BY asset_id LIMIT ?"), {limit}, context)
            : run(db, dialect, select + sql(" WHERE ") + contains + sql(" ORDER BY asset_id LIMIT ?"),
                  {needle, needle, limit}, context);
        while (query.next())
            result.append(CatalogAsset{query.value(0).toString(), query.value(1).toByteArray()});
        return result;
    }

    // Unicode case folding is beyond lower() here: filter with QString, in id order.
    QSqlQuery query = run(db, dialect, select + sql(" ORDER BY asset_id"), {}, context);
    while (result.size() < limit && query.next()) {
        const QString id = query.value(0).toString();
        const QByteArray json = query.value(1).toByteArray();
        if (id.contains(search, Qt::CaseInsensitive)
            || QString::fromUtf8(json).contains(search, Qt::CaseInsensitive))
            result.append(CatalogAsset{id, json});
    }
    return result;
}

int catalogSize(QSqlDatabase &db, Dialect dialect)
{
    QSqlQuery query = run(db, dialect, sql("SELECT count(*) FROM catalog"), {},
                          sql("counting the catalog"));
    if (!query.next())
        throw sqlschema::storageError(dialect, sql("counting the catalog"), query.lastError());
    return query.value(0).toInt();
}

QString storeSettingOnce(QSqlDatabase &db, Dialect dialect, const QString &name,
                         const QString &value)
{
    const QString context = sql("storing setting %1").arg(name);
    run(db, dialect,
        sql("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"),
        {name, value}, context);
    QSqlQuery query = run(db, dialect, sql("SELECT value FROM settings WHERE name = ?"), {name},
                          context);
    if (!query.next())
        throw StorageError(sql("setting %1 vanished after it was stored").arg(name));
    return query.value(0).toString();
}

} // namespace oxm::sqlops
