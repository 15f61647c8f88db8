#pragma once

#include <QList>
#include <QString>
#include <QStringList>

class QSqlDatabase;
class QSqlError;

namespace oxm {
class StorageError;
}

namespace oxm::sqlschema {

/// One step of the durable schema. Versions are 1, 2, 3, ... in order; a migration is applied
/// once, in its own BEGIN IMMEDIATE transaction together with its row in schema_migrations.
/// The SQL sticks to what PostgreSQL accepts too where that is reasonably possible (BIGINT, TEXT,
/// ON CONFLICT), so the same list can be adapted for the PostgreSQL store.
struct Migration
{
    int version;
    QString description;
    QStringList statements;
};

/// Every migration this build knows, ordered by version (1..latestVersion()).
const QList<Migration> &migrations();

/// The schema version this build creates and expects.
int latestVersion();

/// The highest version recorded in schema_migrations, 0 for a database without that table.
/// Throws StorageError on a database fault.
int currentVersion(QSqlDatabase &db);

/// Brings `db` to `targetVersion` (default: latest) by applying each missing migration in its own
/// BEGIN IMMEDIATE transaction (re-checking the version inside it, so two processes opening the
/// same new file do not both apply a step). Throws StorageError when the database records a
/// version newer than this build knows, when targetVersion is out of range, or on a database fault
/// (the failing migration is rolled back). Must be called outside a transaction. Returns the
/// resulting version.
int migrate(QSqlDatabase &db, int targetVersion = -1);

// --- SQLite error helpers shared by the migrations and SqliteStore ---

/// True for SQLite result codes (primary or extended) that describe a condition that may clear
/// by itself: BUSY, LOCKED, NOMEM, READONLY, IOERR, FULL, CANTOPEN, PROTOCOL.
bool isTransientSqliteCode(int code);

/// A StorageError for a failed QSQLITE call, "SQLite: <context>: <driver text>: <database text>
/// (code N)", transient when the SQLite code is (see isTransientSqliteCode).
StorageError storageError(const QString &context, const QSqlError &error);

} // namespace oxm::sqlschema
