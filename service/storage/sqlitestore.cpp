#include "storage/sqlitestore.h"

#include "domain/apierror.h"
#include "storage/migrations.h"
#include "storage/sqloperations.h"
#include "storage/threadconnections.h"
#include "core/threadnice.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QReadWriteLock>
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
constexpr auto kDialect = sqlschema::Dialect::Sqlite;

QSqlQuery run(QSqlDatabase &db, const QString &sql, const QVariantList &binds,
              const QString &context)
{
    return sqlops::run(db, kDialect, sql, binds, context);
}

using sqlops::tryExec;

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
    /// Asynchronous jobs (saveResumePointAsync) own their work and are completed by the writer:
    /// `completion` is called after the batch, then the job is deleted.
    std::function<void(QSqlDatabase &)> ownedFn;
    std::function<void(std::exception_ptr)> completion;
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
    sqlops::StatementCache *cache = nullptr; // the writer connection's prepared statements
    QDeadlineTimer sizeCheckpointBackoff{0};

    void main()
    {
        applyServiceThreadNice();
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
            {
                // The writer re-executes its statements rather than preparing them per write.
                sqlops::StatementCache statements(db);
                cache = &statements;
                loop(db);
                if (dirty)
                    checkpoint(db);
                cache = nullptr;
            }
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
            std::vector<WriteJob *> completed; // asynchronous ones, completed outside the lock
            {
                // Notified under the lock: a caller cannot see done and destroy its job (and the
                // condition variable in it) before we are through with it.
                std::lock_guard lock(mutex);
                for (WriteJob *job : batch) {
                    if (job->completion) {
                        completed.push_back(job);
                        continue;
                    }
                    job->done = true;
                    job->doneChanged.notify_one();
                }
            }
            for (WriteJob *job : completed) {
                job->completion(job->error);
                delete job;
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
        // One job alone needs no savepoint: if it fails, the whole transaction is rolled back.
        const bool alone = batch.size() == 1;
        bool jobRolledBack = false;
        if (!tryExec(db, sql("BEGIN IMMEDIATE"), &error)) {
            batchError = std::make_exception_ptr(
                sqlschema::storageError(sql("beginning a write transaction"), error));
        } else {
            for (WriteJob *job : batch) {
                if (!alone && !tryExec(db, sql("SAVEPOINT job"), &error)) {
                    batchError = std::make_exception_ptr(
                        sqlschema::storageError(sql("starting a savepoint"), error));
                    break;
                }
                try {
                    (*job->fn)(db);
                    if (!alone && !tryExec(db, sql("RELEASE job"), &error))
                        throw sqlschema::storageError(sql("releasing a savepoint"), error);
                } catch (...) {
                    job->error = std::current_exception();
                    if (alone) {
                        jobRolledBack = true;
                        break;
                    }
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
            if (!batchError && !jobRolledBack && !tryExec(db, sql("COMMIT"), &error))
                batchError = std::make_exception_ptr(
                    sqlschema::storageError(sql("committing writes"), error));
            if (batchError || jobRolledBack)
                tryExec(db, sql("ROLLBACK"));
            else
                dirty = true;
        }
        if (cache)
            cache->finishAll(); // no statement keeps a read snapshot between transactions
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

struct SqliteStore::Readers
{
    Readers(const QString &path, const Options &options, const QString &prefix)
        : connections(std::make_shared<ThreadConnections>(
            prefix,
            [path, options](const QString &name) {
                QSqlDatabase db = QSqlDatabase::addDatabase(kDriver, name);
                db.setDatabaseName(path);
                db.setConnectOptions(
                    QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(options.busyTimeoutMs));
                if (!db.open())
                    throw sqlschema::storageError(
                        QStringLiteral("cannot open database %1 for reading").arg(path),
                        db.lastError());
                run(db, sql("PRAGMA query_only = 1"), {}, sql("PRAGMA query_only"));
            },
            [path] { return std::make_exception_ptr(notOpen(path)); }))
    {
    }

    QReadWriteLock gate; ///< reads lock it shared; the writer's checkpoint exclusively
    const std::shared_ptr<ThreadConnections> connections;
};

// ------------------------------------------------------------------------------------------------

SqliteStore::SqliteStore(const QString &path) : SqliteStore(path, Options()) {}

SqliteStore::SqliteStore(const QString &path, const Options &options)
    : m_path(path)
    , m_options(options)
    , m_connectionPrefix(QStringLiteral("oxm-sqlite-%1").arg(++g_instances))
    , m_readers(std::make_unique<Readers>(absoluteFile(path), options, m_connectionPrefix))
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
    m_readers->connections->setOpen(true);
}

void SqliteStore::close()
{
    std::lock_guard lifecycle(m_lifecycle);
    m_readers->connections->closeAll();
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
    return m_readers->connections->count();
}

/// A read on the calling thread's connection, holding the read gate for its duration.
struct SqliteStore::ReadSession
{
    explicit ReadSession(Readers &readers)
        : lock(&readers.gate), db(readers.connections->connection())
    {
    }
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

// --- DurableStore: the statements are in sqloperations.cpp -------------------------------------

QStringList SqliteStore::tenants()
{
    ReadSession session(*m_readers);
    return sqlops::tenants(session.db, kDialect);
}

std::optional<StreamPolicy> SqliteStore::policy(const QString &tenant)
{
    ReadSession session(*m_readers);
    return sqlops::policy(session.db, kDialect, tenant);
}

QHash<QString, StreamPolicy> SqliteStore::allPolicies()
{
    ReadSession session(*m_readers);
    return sqlops::allPolicies(session.db, kDialect);
}

bool SqliteStore::registerTenant(const QString &tenant)
{
    bool inserted = false;
    write([&](QSqlDatabase &db) { inserted = sqlops::registerTenant(db, kDialect, tenant); });
    return inserted;
}

void SqliteStore::setPolicy(const QString &tenant, const StreamPolicy &policy)
{
    write([&](QSqlDatabase &db) { sqlops::setPolicy(db, kDialect, tenant, policy); });
}

bool SqliteStore::saveResumePointAsync(const ResumePoint &point, std::function<void(std::exception_ptr)> done)
{
    Writer *const w = m_writer.get();
    if (!w)
        throw notOpen(m_path);
    auto job = std::make_unique<WriteJob>();
    job->ownedFn = [point](QSqlDatabase &db) { sqlops::saveResumePoint(db, kDialect, point); };
    job->fn = &job->ownedFn;
    job->completion = std::move(done);
    std::lock_guard lock(w->mutex);
    if (w->stopping || w->state != Writer::State::Running)
        throw notOpen(m_path);
    w->queue.push_back(job.release()); // the writer deletes it after its completion
    w->wake.notify_one();
    return true;
}

void SqliteStore::saveResumePoint(const ResumePoint &point)
{
    write([&](QSqlDatabase &db) { sqlops::saveResumePoint(db, kDialect, point); });
}

std::optional<ResumePoint> SqliteStore::resumePoint(const QString &tenant, const QString &userId,
                                                    const QString &assetId)
{
    ReadSession session(*m_readers);
    return sqlops::resumePoint(session.db, kDialect, tenant, userId, assetId);
}

bool SqliteStore::deleteResumePoint(const QString &tenant, const QString &userId,
                                    const QString &assetId)
{
    bool deleted = false;
    write([&](QSqlDatabase &db) {
        deleted = sqlops::deleteResumePoint(db, kDialect, tenant, userId, assetId);
    });
    return deleted;
}

QList<ResumePoint> SqliteStore::history(const QString &tenant, const QString &userId)
{
    ReadSession session(*m_readers);
    return sqlops::history(session.db, kDialect, tenant, userId);
}

DurableStore::WatchlistAdd SqliteStore::addToWatchlist(const QString &tenant,
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

bool SqliteStore::removeFromWatchlist(const QString &tenant, const QString &userId,
                                      const QString &assetId)
{
    bool removed = false;
    write([&](QSqlDatabase &db) {
        removed = sqlops::removeFromWatchlist(db, kDialect, tenant, userId, assetId);
    });
    return removed;
}

QStringList SqliteStore::watchlist(const QString &tenant, const QString &userId)
{
    ReadSession session(*m_readers);
    return sqlops::watchlist(session.db, kDialect, tenant, userId);
}

int SqliteStore::importCatalog(const QList<CatalogAsset> &assets)
{
    if (assets.isEmpty())
        return 0;
    write([&](QSqlDatabase &db) { sqlops::importCatalog(db, kDialect, assets); });
    return int(assets.size());
}

QHash<QString, QByteArray> SqliteStore::catalogAssets(const QStringList &ids)
{
    if (ids.isEmpty())
        return {};
    ReadSession session(*m_readers);
    return sqlops::catalogAssets(session.db, kDialect, ids);
}

QList<CatalogAsset> SqliteStore::searchCatalog(const QString &search, int limit)
{
    if (limit <= 0)
        return {};
    ReadSession session(*m_readers);
    return sqlops::searchCatalog(session.db, kDialect, search, limit);
}

int SqliteStore::catalogSize()
{
    ReadSession session(*m_readers);
    return sqlops::catalogSize(session.db, kDialect);
}

} // namespace oxm
