#include "storage/migrations.h"

#include "domain/apierror.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>
#include <chrono>

namespace oxm::sqlschema {

namespace {

qint64 nowNs()
{
    using namespace std::chrono;
    return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

void exec(QSqlDatabase &db, const QString &sql, const QString &context)
{
    QSqlQuery query(db);
    if (!query.exec(sql))
        throw storageError(context, query.lastError());
}

} // namespace

bool isTransientSqliteCode(int code)
{
    switch (code & 0xff) { // primary result code of an extended one
    case 5:  // SQLITE_BUSY
    case 6:  // SQLITE_LOCKED
    case 7:  // SQLITE_NOMEM
    case 8:  // SQLITE_READONLY
    case 10: // SQLITE_IOERR
    case 13: // SQLITE_FULL
    case 14: // SQLITE_CANTOPEN
    case 15: // SQLITE_PROTOCOL
        return true;
    default:
        return false;
    }
}

StorageError storageError(const QString &context, const QSqlError &error)
{
    bool ok = false;
    const int code = error.nativeErrorCode().toInt(&ok);
    QString detail = error.databaseText();
    if (!error.driverText().isEmpty())
        detail = detail.isEmpty() ? error.driverText()
                                  : error.driverText() + QStringLiteral(": ") + detail;
    if (detail.isEmpty())
        detail = QStringLiteral("unknown SQLite error");
    QString message = QStringLiteral("SQLite: %1: %2").arg(context, detail);
    if (ok)
        message += QStringLiteral(" (code %1)").arg(code);
    return StorageError(message, ok && isTransientSqliteCode(code));
}

const QList<Migration> &migrations()
{
    // Never edit a migration that has shipped: add a new one. Keep versions contiguous.
    static const QList<Migration> list = {
        {1,
         QStringLiteral("base tables: tenants, resume_points, watchlist, catalog"),
         {
             QStringLiteral(
                 "CREATE TABLE tenants ("
                 " tenant        TEXT   NOT NULL PRIMARY KEY,"
                 " max_per_user  BIGINT NOT NULL DEFAULT 0 CHECK (max_per_user >= 0),"
                 " max_per_asset BIGINT NOT NULL DEFAULT 0 CHECK (max_per_asset >= 0),"
                 " max_devices   BIGINT NOT NULL DEFAULT 0 CHECK (max_devices >= 0),"
                 " created_ns    BIGINT NOT NULL)"),
             QStringLiteral(
                 "CREATE TABLE resume_points ("
                 " tenant     TEXT   NOT NULL,"
                 " user_id    TEXT   NOT NULL,"
                 " asset_id   TEXT   NOT NULL,"
                 " progress   BIGINT NOT NULL CHECK (progress >= 0),"
                 " updated_ns BIGINT NOT NULL,"
                 " PRIMARY KEY (tenant, user_id, asset_id))"),
             // seq gives the order of first addition (newest = highest). SQLite: INTEGER PRIMARY
             // KEY is the rowid, always above every existing row's; PostgreSQL: BIGINT GENERATED
             // ALWAYS AS IDENTITY.
             QStringLiteral(
                 "CREATE TABLE watchlist ("
                 " seq      INTEGER PRIMARY KEY,"
                 " tenant   TEXT   NOT NULL,"
                 " user_id  TEXT   NOT NULL,"
                 " asset_id TEXT   NOT NULL,"
                 " added_ns BIGINT NOT NULL,"
                 " UNIQUE (tenant, user_id, asset_id))"),
             QStringLiteral(
                 "CREATE TABLE catalog ("
                 " asset_id   TEXT   NOT NULL PRIMARY KEY CHECK (asset_id <> ''),"
                 " metadata   TEXT   NOT NULL,"
                 " updated_ns BIGINT NOT NULL)"),
         }},
        {2,
         QStringLiteral("indexes for history order and watchlist order"),
         {
             QStringLiteral("CREATE INDEX resume_points_by_recency"
                            " ON resume_points (tenant, user_id, updated_ns)"),
             QStringLiteral("CREATE INDEX watchlist_by_seq ON watchlist (tenant, user_id, seq)"),
         }},
    };
    return list;
}

int latestVersion()
{
    return migrations().isEmpty() ? 0 : migrations().constLast().version;
}

int currentVersion(QSqlDatabase &db)
{
    QSqlQuery query(db);
    if (!query.exec(QStringLiteral("SELECT count(*) FROM sqlite_master"
                                   " WHERE type = 'table' AND name = 'schema_migrations'")))
        throw storageError(QStringLiteral("reading the schema version"), query.lastError());
    if (!query.next() || query.value(0).toInt() == 0)
        return 0;
    query.finish();
    if (!query.exec(QStringLiteral("SELECT coalesce(max(version), 0) FROM schema_migrations")))
        throw storageError(QStringLiteral("reading the schema version"), query.lastError());
    if (!query.next())
        throw storageError(QStringLiteral("reading the schema version"), query.lastError());
    return query.value(0).toInt();
}

int migrate(QSqlDatabase &db, int targetVersion)
{
    const int latest = latestVersion();
    if (targetVersion < 0)
        targetVersion = latest;
    if (targetVersion > latest)
        throw StorageError(QStringLiteral("cannot migrate to schema version %1: this build knows "
                                          "versions up to %2")
                               .arg(targetVersion)
                               .arg(latest));

    const auto refuseNewer = [&](int version) {
        return StorageError(QStringLiteral("database %1 has schema version %2, newer than the "
                                           "version %3 this build of OXM knows; refusing to use "
                                           "it (upgrade OXM or use another database)")
                                .arg(db.databaseName())
                                .arg(version)
                                .arg(latest));
    };

    exec(db,
         QStringLiteral("CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version    INTEGER PRIMARY KEY,"
                        " applied_ns BIGINT  NOT NULL)"),
         QStringLiteral("creating schema_migrations"));

    int current = currentVersion(db);
    if (current > latest)
        throw refuseNewer(current);

    for (const Migration &migration : migrations()) {
        if (migration.version <= current || migration.version > targetVersion)
            continue;
        const QString context = QStringLiteral("applying schema migration %1 (%2)")
                                    .arg(migration.version)
                                    .arg(migration.description);
        exec(db, QStringLiteral("BEGIN IMMEDIATE"), context);
        try {
            // Another process may have migrated while we were not holding the write lock.
            current = currentVersion(db);
            if (current > latest)
                throw refuseNewer(current);
            if (current < migration.version) {
                if (current != migration.version - 1)
                    throw StorageError(QStringLiteral("schema of %1 is at version %2, cannot "
                                                      "apply migration %3")
                                           .arg(db.databaseName())
                                           .arg(current)
                                           .arg(migration.version));
                for (const QString &statement : migration.statements)
                    exec(db, statement, context);
                QSqlQuery record(db);
                record.prepare(QStringLiteral(
                    "INSERT INTO schema_migrations (version, applied_ns) VALUES (?, ?)"));
                record.addBindValue(migration.version);
                record.addBindValue(nowNs());
                if (!record.exec())
                    throw storageError(context, record.lastError());
                current = migration.version;
            }
            exec(db, QStringLiteral("COMMIT"), context);
        } catch (...) {
            QSqlQuery rollback(db);
            rollback.exec(QStringLiteral("ROLLBACK"));
            throw;
        }
    }
    return currentVersion(db);
}

} // namespace oxm::sqlschema
