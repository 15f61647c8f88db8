#include "storage/sqlitestore.h"

#include "domain/apierror.h"
#include "storage/migrations.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QReadWriteLock>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QVariant>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <deque>
#include <exception>
#include <vector>

namespace oxm {

namespace {

const QString kDriver = QStringLiteral("QSQLITE");
constexpr int kCatalogChunk = 500; // bound parameters per IN (...) lookup

qint64 nowNs()
{
    using namespace std::chrono;
    return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

/// Prepares and executes `sql` with positional `binds`; throws StorageError on failure. The
/// returned query must not outlive the caller's scope (no statement is left open between calls).
QSqlQuery run(QSqlDatabase &db, const QString &sql, const QVariantList &binds,
              const QString &context)
{
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.prepare(sql))
        throw sqlschema::storageError(context, query.lastError());
    for (const QVariant &value : binds) {
        // A null QString would bind as SQL NULL; identifiers are never NULL, "" is meant.
        if (value.typeId() == QMetaType::QString && value.toString().isNull())
            query.addBindValue(QStringLiteral(""));
        else
            query.addBindValue(value);
    }
    if (!query.exec())
        throw sqlschema::storageError(context, query.lastError());
    return query;
}

/// Executes a statement without parameters; returns false (leaving the error in `error`) instead
/// of throwing, for the transaction control of the writer.
bool tryExec(QSqlDatabase &db, const QString &sql, QSqlError *error = nullptr)
{
    QSqlQuery query(db);
    const bool ok = query.exec(sql);
    if (!ok && error)
        *error = query.lastError();
    return ok;
}

/// Runs a PRAGMA and returns the first column of its first row (if any).
QVariant pragma(QSqlDatabase &db, const QString &sql)
{
    QSqlQuery query = run(db, sql, {}, sql);
    return query.next() ? query.value(0) : QVariant();
}

QString sql(const char *text)
{
    return QString::fromLatin1(text);
}

StorageError notOpen(const QString &path)
{
    return StorageError(QStringLiteral("SQLite store %1 is not open").arg(path), true);
}

std::atomic<quint64> g_instances{0};

/// The file the connections open: absolute, so a later change of the working directory does not
/// move the database (or the -wal file the writer watches).
QString absoluteFile(const QString &path)
{
    return path.isEmpty() ? path : QFileInfo(path).absoluteFilePath();
}

} // namespace

// ------------------------------------------------------------------------------------------------
// Writer: one thread, one connection, group commit.

struct SqliteStore::WriteJob
{
    const std::function<void(QSqlDatabase &)> *fn = nullptr;
    std::exception_ptr error;
    bool done = false;          // guarded by Writer::mutex
    std::condition_variable doneChanged; // waited on with Writer::mutex
};

struct SqliteStore::Writer
{
    enum class State { Starting, Running, Failed };

    Writer(const QString &path, const Options &options, const QString &connectionName,
           QReadWriteLock *gate)
        : path(path), options(options), connectionName(connectionName), gate(gate)
    {
    }

    const QString path;
    const Options options;
    const QString connectionName;
    QReadWriteLock *const gate; ///< held for reading by every read of this store

    std::mutex mutex;
    std::condition_variable wake;         // the writer waits for jobs / stop
    std::condition_variable stateChanged; // open() waits for Running / Failed
    State state = State::Starting;
    std::exception_ptr startError;
    bool stopping = false;
    std::deque<WriteJob *> queue;
    std::unique_ptr<QThread> thread;

    // Writer-thread only.
    bool dirty = false; // committed since the last completed checkpoint
    QDeadlineTimer sizeCheckpointBackoff{0};

    void main()
    {
        {
            QSqlDatabase db;
            try {
                db = openConnection();
            } catch (...) {
                db = QSqlDatabase();
                QSqlDatabase::removeDatabase(connectionName);
                std::lock_guard lock(mutex);
                startError = std::current_exception();
                state = State::Failed;
                stateChanged.notify_all();
                return;
            }
            {
                std::lock_guard lock(mutex);
                state = State::Running;
                stateChanged.notify_all();
            }
            loop(db);
            if (dirty)
                checkpoint(db);
            db.close();
        }
        QSqlDatabase::removeDatabase(connectionName);
    }

    QSqlDatabase openConnection()
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(kDriver, connectionName);
        if (!db.isValid())
            throw StorageError(QStringLiteral("the Qt SQLite driver (QSQLITE) is not available"));
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(options.busyTimeoutMs));
        if (!db.open())
            throw sqlschema::storageError(QStringLiteral("cannot open or create database %1")
                                              .arg(path),
                                          db.lastError());
        try {
            const QString mode =
                pragma(db, sql("PRAGMA journal_mode = WAL")).toString().toLower();
            if (mode != QLatin1String("wal"))
                throw StorageError(QStringLiteral("SQLite: cannot switch to WAL mode "
                                                  "(journal_mode stays '%1')")
                                       .arg(mode));
            // FULL: the WAL is fsynced at every (group) commit, so an acknowledged write
            // survives power loss, not only kill -9 (NORMAL would only fsync at checkpoints).
            run(db, sql("PRAGMA synchronous = FULL"), {}, sql("PRAGMA synchronous"));
            run(db, sql("PRAGMA foreign_keys = ON"), {}, sql("PRAGMA foreign_keys"));
            pragma(db, sql("PRAGMA journal_size_limit = 67108864"));
            sqlschema::migrate(db, options.targetSchemaVersion);
        } catch (const StorageError &e) {
            const QString message = QString::fromUtf8(e.what());
            if (message.contains(path))
                throw;
            throw StorageError(QStringLiteral("database %1: %2").arg(path, message),
                               e.isTransient());
        }
        return db;
    }

    void loop(QSqlDatabase &db)
    {
        std::vector<WriteJob *> batch;
        for (;;) {
            batch.clear();
            {
                std::unique_lock lock(mutex);
                while (queue.empty() && !stopping) {
                    if (dirty && options.idleCheckpointMs > 0) {
                        if (wake.wait_for(lock, std::chrono::milliseconds(options.idleCheckpointMs))
                                == std::cv_status::timeout
                            && queue.empty() && !stopping) {
                            lock.unlock();
                            checkpoint(db);
                            lock.lock();
                        }
                    } else {
                        wake.wait(lock);
                    }
                }
                if (queue.empty())
                    return; // stopping, and every queued job is done
                const size_t n = std::min(queue.size(), size_t(std::max(1, options.maxBatch)));
                batch.assign(queue.begin(), queue.begin() + qsizetype(n));
                queue.erase(queue.begin(), queue.begin() + qsizetype(n));
            }
            runBatch(db, batch);
            {
                // Notified under the lock: a caller cannot see done and destroy its job (and the
                // condition variable in it) before we are through with it.
                std::lock_guard lock(mutex);
                for (WriteJob *job : batch) {
                    job->done = true;
                    job->doneChanged.notify_one();
                }
            }
            // Bound the WAL even when readers always overlap (PASSIVE checkpoints then never
            // reach the end of the log, so it is never restarted).
            // After a checkpoint that could not finish (a long reader), wait a second before
            // trying again so the writes are not slowed by checkpointWaitMs on every batch.
            if (options.walCheckpointBytes > 0 && sizeCheckpointBackoff.hasExpired()
                && QFileInfo(path + QStringLiteral("-wal")).size() > options.walCheckpointBytes) {
                if (!checkpoint(db))
                    sizeCheckpointBackoff.setRemainingTime(1000);
            }
        }
    }

    void runBatch(QSqlDatabase &db, const std::vector<WriteJob *> &batch)
    {
        std::exception_ptr batchError;
        QSqlError error;
        if (!tryExec(db, sql("BEGIN IMMEDIATE"), &error)) {
            batchError = std::make_exception_ptr(
                sqlschema::storageError(sql("beginning a write transaction"), error));
        } else {
            for (WriteJob *job : batch) {
                if (!tryExec(db, sql("SAVEPOINT job"), &error)) {
                    batchError = std::make_exception_ptr(
                        sqlschema::storageError(sql("starting a savepoint"), error));
                    break;
                }
                try {
                    (*job->fn)(db);
                    if (!tryExec(db, sql("RELEASE job"), &error))
                        throw sqlschema::storageError(sql("releasing a savepoint"), error);
                } catch (...) {
                    job->error = std::current_exception();
                    // If SQLite already rolled the whole transaction back (IOERR, FULL, ...) the
                    // savepoint is gone: abandon the batch rather than go on in autocommit mode.
                    if (!tryExec(db, sql("ROLLBACK TO job"), &error)
                        || !tryExec(db, sql("RELEASE job"), &error)) {
                        batchError = std::make_exception_ptr(sqlschema::storageError(
                            sql("rolling back a failed write, batch abandoned"), error));
                        break;
                    }
                }
            }
            if (!batchError && !tryExec(db, sql("COMMIT"), &error))
                batchError = std::make_exception_ptr(
                    sqlschema::storageError(sql("committing writes"), error));
            if (batchError)
                tryExec(db, sql("ROLLBACK"));
            else
                dirty = true;
        }
        if (batchError) {
            for (WriteJob *job : batch) {
                if (!job->error)
                    job->error = batchError;
            }
        }
    }

    /// Checkpoints the whole WAL and truncates it, waiting at most checkpointWaitMs for readers.
    /// Never throws; returns whether it completed (one that did not is retried later).
    bool checkpoint(QSqlDatabase &db)
    {
        // A PASSIVE pass first copies what it can while the readers go on. Readers that always
        // overlap keep it (and SQLite's automatic ones) from reaching the end of the log, so
        // the log would never restart: then hold this process's readers off at the gate (they
        // are short) and TRUNCATE, which restarts the log and empties the -wal file.
        tryExec(db, sql("PRAGMA wal_checkpoint(PASSIVE)"));
        if (!gate->tryLockForWrite(options.checkpointWaitMs))
            return false;
        bool complete = false;
        tryExec(db, QStringLiteral("PRAGMA busy_timeout = %1").arg(options.checkpointWaitMs));
        {
            QSqlQuery query(db);
            complete = query.exec(sql("PRAGMA wal_checkpoint(TRUNCATE)")) && query.next()
                && query.value(0).toInt() == 0;
        }
        tryExec(db, QStringLiteral("PRAGMA busy_timeout = %1").arg(options.busyTimeoutMs));
        gate->unlock();
        if (complete)
            dirty = false;
        return complete;
    }
};

// ------------------------------------------------------------------------------------------------
// Readers: one connection per (store, thread), closed when the thread finishes.

struct SqliteStore::Readers : std::enable_shared_from_this<Readers>
{
    struct Entry
    {
        QString name;
        QMetaObject::Connection finished;
    };

    Readers(const QString &path, const Options &options, const QString &prefix)
        : path(path), options(options), prefix(prefix)
    {
    }

    const QString path;
    const Options options;
    const QString prefix;

    QReadWriteLock gate; ///< reads lock it shared; the writer's checkpoint exclusively
    mutable std::mutex mutex;
    bool open = false;
    quint64 counter = 0;
    QHash<QThread *, Entry> byThread;

    QSqlDatabase connection()
    {
        QThread *const thread = QThread::currentThread();
        QString name;
        {
            std::lock_guard lock(mutex);
            if (!open)
                throw notOpen(path);
            const auto it = byThread.constFind(thread);
            if (it != byThread.constEnd())
                name = it->name;
        }
        if (!name.isEmpty()) {
            QSqlDatabase db = QSqlDatabase::database(name, false);
            if (db.isValid() && db.isOpen())
                return db;
            // A QThread object at a reused address whose predecessor never reported finished.
            db = QSqlDatabase();
            forget(thread);
        }

        {
            std::lock_guard lock(mutex);
            name = QStringLiteral("%1-r%2").arg(prefix).arg(++counter);
        }
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(kDriver, name);
            db.setDatabaseName(path);
            db.setConnectOptions(
                QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(options.busyTimeoutMs));
            std::exception_ptr failure;
            if (!db.open()) {
                failure = std::make_exception_ptr(sqlschema::storageError(
                    QStringLiteral("cannot open database %1 for reading").arg(path),
                    db.lastError()));
            } else {
                try {
                    run(db, sql("PRAGMA query_only = 1"), {}, sql("PRAGMA query_only"));
                } catch (...) {
                    failure = std::current_exception();
                }
            }
            if (failure) {
                db = QSqlDatabase();
                QSqlDatabase::removeDatabase(name);
                std::rethrow_exception(failure);
            }
        }

        Entry entry;
        entry.name = name;
        const std::weak_ptr<Readers> weak = weak_from_this();
        entry.finished = QObject::connect(
            thread, &QThread::finished, thread,
            [weak, thread] {
                if (const auto self = weak.lock())
                    self->forget(thread);
            },
            Qt::DirectConnection);
        {
            std::lock_guard lock(mutex);
            if (open) {
                byThread.insert(thread, entry);
                entry = Entry();
            }
        }
        if (!entry.name.isEmpty()) { // closed meanwhile
            QObject::disconnect(entry.finished);
            QSqlDatabase::removeDatabase(name);
            throw notOpen(path);
        }
        return QSqlDatabase::database(name, false);
    }

    /// Closes the connection of `thread` (called on that thread when it finishes).
    void forget(QThread *thread)
    {
        Entry entry;
        {
            std::lock_guard lock(mutex);
            const auto it = byThread.find(thread);
            if (it == byThread.end())
                return;
            entry = *it;
            byThread.erase(it);
        }
        QObject::disconnect(entry.finished);
        QSqlDatabase::removeDatabase(entry.name);
    }

    void setOpen(bool value)
    {
        std::lock_guard lock(mutex);
        open = value;
    }

    /// Refuses new reads and closes every thread's connection (from whichever thread calls it;
    /// SQLite allows that, and no read may be running at that point).
    void closeAll()
    {
        QHash<QThread *, Entry> entries;
        {
            std::lock_guard lock(mutex);
            open = false;
            entries.swap(byThread);
        }
        for (const Entry &entry : std::as_const(entries)) {
            QObject::disconnect(entry.finished);
            QSqlDatabase::removeDatabase(entry.name);
        }
    }

    int count() const
    {
        std::lock_guard lock(mutex);
        return int(byThread.size());
    }
};

// ------------------------------------------------------------------------------------------------

SqliteStore::SqliteStore(const QString &path) : SqliteStore(path, Options()) {}

SqliteStore::SqliteStore(const QString &path, const Options &options)
    : m_path(path)
    , m_options(options)
    , m_connectionPrefix(QStringLiteral("oxm-sqlite-%1").arg(++g_instances))
    , m_readers(std::make_shared<Readers>(absoluteFile(path), options, m_connectionPrefix))
{
}

SqliteStore::~SqliteStore()
{
    close();
}

void SqliteStore::open()
{
    std::lock_guard lifecycle(m_lifecycle);
    if (m_writer)
        return;

    if (m_path.isEmpty() || m_path == QLatin1String(":memory:")
        || m_path.startsWith(QLatin1String("file:")))
        throw StorageError(
            QStringLiteral("SQLite store needs the path of a database file, not '%1'").arg(m_path));
    const QFileInfo info(m_path);
    if (info.isDir())
        throw StorageError(
            QStringLiteral("cannot open database %1: it is a directory").arg(m_path));
    const QString dir = info.absolutePath();
    if (!QDir().mkpath(dir))
        throw StorageError(QStringLiteral("cannot create the directory %1 for database %2")
                               .arg(dir, m_path));

    auto writer = std::make_unique<Writer>(info.absoluteFilePath(), m_options,
                                           m_connectionPrefix + sql("-w"), &m_readers->gate);
    Writer *const w = writer.get();
    writer->thread.reset(QThread::create([w] { w->main(); }));
    writer->thread->setObjectName(QStringLiteral("oxm-sqlite-writer"));
    writer->thread->start();
    {
        std::unique_lock lock(w->mutex);
        w->stateChanged.wait(lock, [w] { return w->state != Writer::State::Starting; });
    }
    if (w->state == Writer::State::Failed) {
        w->thread->wait();
        std::rethrow_exception(w->startError);
    }
    m_writer = std::move(writer);
    m_readers->setOpen(true);
}

void SqliteStore::close()
{
    std::lock_guard lifecycle(m_lifecycle);
    m_readers->closeAll();
    if (!m_writer)
        return;
    {
        std::lock_guard lock(m_writer->mutex);
        m_writer->stopping = true;
        m_writer->wake.notify_all();
    }
    m_writer->thread->wait();
    m_writer.reset();
}

bool SqliteStore::isOpen() const
{
    std::lock_guard lifecycle(m_lifecycle);
    return m_writer != nullptr;
}

int SqliteStore::readConnectionCount() const
{
    return m_readers->count();
}

/// A read on the calling thread's connection, holding the read gate for its duration.
struct SqliteStore::ReadSession
{
    explicit ReadSession(Readers &readers) : lock(&readers.gate), db(readers.connection()) {}
    QReadLocker lock;
    QSqlDatabase db;
};

void SqliteStore::write(const std::function<void(QSqlDatabase &)> &fn)
{
    Writer *const w = m_writer.get();
    if (!w)
        throw notOpen(m_path);
    WriteJob job;
    job.fn = &fn;
    std::unique_lock lock(w->mutex);
    if (w->stopping || w->state != Writer::State::Running)
        throw notOpen(m_path);
    w->queue.push_back(&job);
    w->wake.notify_one();
    job.doneChanged.wait(lock, [&job] { return job.done; });
    lock.unlock();
    if (job.error)
        std::rethrow_exception(job.error);
}

int SqliteStore::schemaVersion()
{
    ReadSession session(*m_readers);
    QSqlDatabase &db = session.db;
    return sqlschema::currentVersion(db);
}

// --- tenants and policies -------------------------------------------------------------------

QStringList SqliteStore::tenants()
{
    ReadSession session(*m_readers);
    QSqlDatabase &db = session.db;
    QSqlQuery query = run(db, sql("SELECT tenant FROM tenants ORDER BY tenant"), {},
                          sql("listing tenants"));
    QStringList result;
    while (query.next())
        result.append(query.value(0).toString());
    return result;
}

std::optional<StreamPolicy> SqliteStore::policy(const QString &tenant)
{
    ReadSession session(*m_readers);
    QSqlDatabase &db = session.db;
    QSqlQuery query = run(db,
                          sql("SELECT max_per_user, max_per_asset, max_devices FROM tenants"
                              " WHERE tenant = ?"),
                          {tenant}, sql("reading a policy"));
    if (!query.next())
        return std::nullopt;
    return StreamPolicy{query.value(0).toInt(), query.value(1).toInt(), query.value(2).toInt()};
}

QHash<QString, StreamPolicy> SqliteStore::allPolicies()
{
    ReadSession session(*m_readers);
    QSqlDatabase &db = session.db;
    QSqlQuery query = run(
        db, sql("SELECT tenant, max_per_user, max_per_asset, max_devices FROM tenants"), {},
        sql("reading policies"));
    QHash<QString, StreamPolicy> result;
    while (query.next())
        result.insert(query.value(0).toString(),
                      StreamPolicy{query.value(1).toInt(), query.value(2).toInt(),
                                   query.value(3).toInt()});
    return result;
}

bool SqliteStore::registerTenant(const QString &tenant)
{
    bool inserted = false;
    write([&](QSqlDatabase &db) {
        QSqlQuery query = run(db,
                              sql("INSERT INTO tenants"
                                  " (tenant, max_per_user, max_per_asset, max_devices, created_ns)"
                                  " VALUES (?, 0, 0, 0, ?) ON CONFLICT (tenant) DO NOTHING"),
                              {tenant, nowNs()}, sql("registering a tenant"));
        inserted = query.numRowsAffected() == 1;
    });
    return inserted;
}

void SqliteStore::setPolicy(const QString &tenant, const StreamPolicy &policy)
{
    write([&](QSqlDatabase &db) {
        run(db,
            sql("INSERT INTO tenants"
                " (tenant, max_per_user, max_per_asset, max_devices, created_ns)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant) DO UPDATE SET"
                " max_per_user = excluded.max_per_user, max_per_asset = excluded.max_per_asset,"
                " max_devices = excluded.max_devices"),
            {tenant, policy.maxPerUser, policy.maxPerAsset, policy.maxDevices, nowNs()},
            sql("storing a policy"));
    });
}

// --- resume points ----------------------------------------------------------------------------

void SqliteStore::saveResumePoint(const ResumePoint &point)
{
    write([&](QSqlDatabase &db) {
        run(db,
            sql("INSERT INTO resume_points (tenant, user_id, asset_id, progress, updated_ns)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant, user_id, asset_id) DO UPDATE SET"
                " progress = excluded.progress, updated_ns = excluded.updated_ns"
                // Writes in flight may commit out of order: the latest receive time wins.
                " WHERE excluded.updated_ns >= resume_points.updated_ns"),
            {point.tenant, point.userId, point.assetId, point.progress, point.updatedNs},
            sql("saving a resume point"));
    });
}

std::optional<ResumePoint> SqliteStore::resumePoint(const QString &tenant, const QString &userId,
                                                    const QString &assetId)
{
    ReadSession session(*m_readers);
    QSqlDatabase &db = session.db;
    QSqlQuery query = run(db,
                          sql("SELECT progress, updated_ns FROM resume_points"
                              " WHERE tenant = ? AND user_id = ? AND asset_id = ?"),
                          {tenant, userId, assetId}, sql("reading a resume point"));
    if (!query.next())
        return std::nullopt;
    return ResumePoint{tenant, userId, assetId, query.value(0).toLongLong(),
                       query.value(1).toLongLong()};
}

bool SqliteStore::deleteResumePoint(const QString &tenant, const QString &userId,
                                    const QString &assetId)
{
    bool deleted = false;
    write([&](QSqlDatabase &db) {
        QSqlQuery query = run(db,
                              sql("DELETE FROM resume_points"
                                  " WHERE tenant = ? AND user_id = ? AND asset_id = ?"),
                              {tenant, userId, assetId}, sql("deleting a resume point"));
        deleted = query.numRowsAffected() > 0;
    });
    return deleted;
}

QList<ResumePoint> SqliteStore::history(const QString &tenant, const QString &userId)
{
    ReadSession session(*m_readers);
    QSqlDatabase &db = session.db;
    QSqlQuery query = run(db,
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

DurableStore::WatchlistAdd SqliteStore::addToWatchlist(const QString &tenant,
                                                       const QString &userId,
                                                       const QString &assetId, qint64 addedNs,
                                                       int maxEntries)
{
    WatchlistAdd outcome = WatchlistAdd::Added;
    write([&](QSqlDatabase &db) {
        const QString context = sql("adding to a watchlist");
        {
            QSqlQuery present = run(db,
                                    sql("SELECT 1 FROM watchlist"
                                        " WHERE tenant = ? AND user_id = ? AND asset_id = ?"),
                                    {tenant, userId, assetId}, context);
            if (present.next()) {
                outcome = WatchlistAdd::AlreadyPresent;
                return;
            }
        }
        {
            QSqlQuery count = run(db,
                                  sql("SELECT count(*) FROM watchlist"
                                      " WHERE tenant = ? AND user_id = ?"),
                                  {tenant, userId}, context);
            if (!count.next())
                throw sqlschema::storageError(context, count.lastError());
            if (count.value(0).toLongLong() >= maxEntries) {
                outcome = WatchlistAdd::Full;
                return;
            }
        }
        run(db,
            sql("INSERT INTO watchlist (tenant, user_id, asset_id, added_ns) VALUES (?, ?, ?, ?)"),
            {tenant, userId, assetId, addedNs}, context);
        outcome = WatchlistAdd::Added;
    });
    return outcome;
}

bool SqliteStore::removeFromWatchlist(const QString &tenant, const QString &userId,
                                      const QString &assetId)
{
    bool removed = false;
    write([&](QSqlDatabase &db) {
        QSqlQuery query = run(db,
                              sql("DELETE FROM watchlist"
                                  " WHERE tenant = ? AND user_id = ? AND asset_id = ?"),
                              {tenant, userId, assetId}, sql("removing from a watchlist"));
        removed = query.numRowsAffected() > 0;
    });
    return removed;
}

QStringList SqliteStore::watchlist(const QString &tenant, const QString &userId)
{
    ReadSession session(*m_readers);
    QSqlDatabase &db = session.db;
    QSqlQuery query = run(db,
                          sql("SELECT asset_id FROM watchlist WHERE tenant = ? AND user_id = ?"
                              " ORDER BY seq DESC"),
                          {tenant, userId}, sql("reading a watchlist"));
    QStringList result;
    while (query.next())
        result.append(query.value(0).toString());
    return result;
}

// --- catalog ----------------------------------------------------------------------------------

int SqliteStore::importCatalog(const QList<CatalogAsset> &assets)
{
    if (assets.isEmpty())
        return 0;
    write([&](QSqlDatabase &db) {
        const QString context = sql("importing the catalog");
        QSqlQuery query(db);
        // The metadata is bound as bytes and stored as TEXT with exactly those bytes.
        if (!query.prepare(sql("INSERT INTO catalog (asset_id, metadata, updated_ns)"
                               " VALUES (?, CAST(? AS TEXT), ?) ON CONFLICT (asset_id) DO UPDATE"
                               " SET metadata = excluded.metadata,"
                               " updated_ns = excluded.updated_ns")))
            throw sqlschema::storageError(context, query.lastError());
        const qint64 now = nowNs();
        for (const CatalogAsset &asset : assets) {
            query.bindValue(0, asset.id.isNull() ? QStringLiteral("") : asset.id);
            query.bindValue(1, asset.json.isNull() ? QByteArray("") : asset.json);
            query.bindValue(2, now);
            if (!query.exec())
                throw sqlschema::storageError(
                    QStringLiteral("importing catalog asset '%1'").arg(asset.id),
                    query.lastError());
        }
    });
    return int(assets.size());
}

QHash<QString, QByteArray> SqliteStore::catalogAssets(const QStringList &ids)
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

    ReadSession session(*m_readers);
    QSqlDatabase &db = session.db;
    const QString context = sql("reading catalog assets");
    const bool snapshot = unique.size() > kCatalogChunk; // one read transaction for all chunks
    if (snapshot)
        run(db, sql("BEGIN"), {}, context);
    try {
        for (qsizetype start = 0; start < unique.size(); start += kCatalogChunk) {
            const qsizetype n = std::min<qsizetype>(kCatalogChunk, unique.size() - start);
            QString text = sql("SELECT asset_id, CAST(metadata AS BLOB) FROM catalog"
                               " WHERE asset_id IN (");
            QVariantList binds;
            binds.reserve(n);
            for (qsizetype i = 0; i < n; ++i) {
                text += i == 0 ? sql("?") : sql(", ?");
                binds.append(unique.at(start + i));
            }
            text += QLatin1Char(')');
            QSqlQuery query = run(db, text, binds, context);
            while (query.next())
                result.insert(query.value(0).toString(), query.value(1).toByteArray());
        }
    } catch (...) {
        if (snapshot)
            tryExec(db, sql("ROLLBACK"));
        throw;
    }
    if (snapshot)
        run(db, sql("COMMIT"), {}, context);
    return result;
}

QList<CatalogAsset> SqliteStore::searchCatalog(const QString &search, int limit)
{
    QList<CatalogAsset> result;
    if (limit <= 0)
        return result;
    ReadSession session(*m_readers);
    QSqlDatabase &db = session.db;
    const QString context = sql("searching the catalog");

    bool ascii = true;
    for (const QChar c : search)
        ascii = ascii && c.unicode() < 0x80;

    if (search.isEmpty() || ascii) {
        // SQLite's lower() folds ASCII only, which is exactly what an ASCII needle needs.
        const QString needle = search.toLower();
        QSqlQuery query = search.isEmpty()
            ? run(db,
                  sql("SELECT asset_id, CAST(metadata AS BLOB) FROM catalog"
                      " ORDER BY asset_id LIMIT ?"),
                  {limit}, context)
            : run(db,
                  sql("SELECT asset_id, CAST(metadata AS BLOB) FROM catalog"
                      " WHERE instr(lower(asset_id), ?) > 0 OR instr(lower(metadata), ?) > 0"
                      " ORDER BY asset_id LIMIT ?"),
                  {needle, needle, limit}, context);
        while (query.next())
            result.append(CatalogAsset{query.value(0).toString(), query.value(1).toByteArray()});
        return result;
    }

    // Unicode case folding is beyond SQLite's lower(): filter with QString, in id order.
    QSqlQuery query = run(db,
                          sql("SELECT asset_id, CAST(metadata AS BLOB) FROM catalog"
                              " ORDER BY asset_id"),
                          {}, context);
    while (result.size() < limit && query.next()) {
        const QString id = query.value(0).toString();
        const QByteArray json = query.value(1).toByteArray();
        if (id.contains(search, Qt::CaseInsensitive)
            || QString::fromUtf8(json).contains(search, Qt::CaseInsensitive))
            result.append(CatalogAsset{id, json});
    }
    return result;
}

int SqliteStore::catalogSize()
{
    ReadSession session(*m_readers);
    QSqlDatabase &db = session.db;
    QSqlQuery query = run(db, sql("SELECT count(*) FROM catalog"), {}, sql("counting the catalog"));
    if (!query.next())
        throw sqlschema::storageError(sql("counting the catalog"), query.lastError());
    return query.value(0).toInt();
}

} // namespace oxm
