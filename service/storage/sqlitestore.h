#pragma once

#include "storage/durablestore.h"

#include <QString>
#include <functional>
#include <memory>
#include <mutex>

class QSqlDatabase;
class QThread;

namespace oxm {

/// DurableStore on one SQLite file (issue 2), through Qt Sql's QSQLITE driver.
///
/// Threads: a QSqlDatabase connection may only be used by the thread that opened it, so
///  - every write runs on ONE writer thread owning the write connection. A write method enqueues
///    a job and blocks until the batch holding it has committed (group commit: BEGIN IMMEDIATE,
///    each job inside its own SAVEPOINT so a failing job rolls back alone, COMMIT), then returns
///    the job's result or rethrows its error. A failed COMMIT fails every job of the batch.
///  - reads run on a connection of the calling thread (opened lazily, `PRAGMA query_only`),
///    closed when that QThread finishes (adopted std::threads included) and by close(). WAL mode
///    lets them run alongside the writer and see every write whose method has returned.
///
/// Durability: journal_mode=WAL with synchronous=FULL, so a returned write survives kill -9 and
/// power loss (the WAL is fsynced at each group commit). The WAL is bounded: besides SQLite's
/// automatic PASSIVE checkpoints, the writer runs a TRUNCATE checkpoint (waiting at most
/// Options::checkpointWaitMs for readers) when the -wal file exceeds Options::walCheckpointBytes
/// and when it has been idle for Options::idleCheckpointMs after writing.
///
/// Every method throws StorageError on a fault: transient for BUSY/LOCKED/IOERR/FULL/READONLY/...,
/// with the driver's text in the message (for logs).
///
/// Lifetime: construct, open(), use from any threads, then close() or destroy; close() and the
/// destructor drain the queued writes first. Do not call close() while other threads are still
/// calling into the store.
class SqliteStore final : public DurableStore
{
public:
    struct Options
    {
        int busyTimeoutMs = 5000;                ///< how long a statement waits for a lock
        qint64 walCheckpointBytes = 16LL << 20;  ///< TRUNCATE-checkpoint when the WAL is larger
        int checkpointWaitMs = 200;              ///< how long such a checkpoint waits for readers
        int idleCheckpointMs = 1000;             ///< checkpoint after this long without writes
        int maxBatch = 512;                      ///< most jobs committed in one transaction
        int targetSchemaVersion = -1;            ///< -1: latest. Lower only to build old files in tests
    };

    explicit SqliteStore(const QString &path);
    SqliteStore(const QString &path, const Options &options);
    ~SqliteStore() override;

    SqliteStore(const SqliteStore &) = delete;
    SqliteStore &operator=(const SqliteStore &) = delete;

    /// Creates the parent directory if missing, opens (or creates) the database, sets WAL mode and
    /// the pragmas, applies missing migrations. Throws StorageError with a clear message when the
    /// file cannot be opened or created, is not a database, or has a newer schema than this
    /// build knows. No-op when already open.
    void open();
    /// Drains the queued writes, stops the writer and closes every connection. Reopenable.
    void close();
    bool isOpen() const;

    QString path() const { return m_path; }
    /// The schema version recorded in the open database.
    int schemaVersion();
    /// Read connections currently open (diagnostics; tests check per-thread cleanup).
    int readConnectionCount() const;

    // --- DurableStore ---
    QStringList tenants() override;
    std::optional<StreamPolicy> policy(const QString &tenant) override;
    QHash<QString, StreamPolicy> allPolicies() override;
    bool registerTenant(const QString &tenant) override;
    void setPolicy(const QString &tenant, const StreamPolicy &policy) override;

    void saveResumePoint(const ResumePoint &point) override;
    bool saveResumePointAsync(const ResumePoint &point, std::function<void(std::exception_ptr)> done) override;
    std::optional<ResumePoint> resumePoint(const QString &tenant, const QString &userId,
                                           const QString &assetId) override;
    bool deleteResumePoint(const QString &tenant, const QString &userId,
                           const QString &assetId) override;
    QList<ResumePoint> history(const QString &tenant, const QString &userId) override;

    /// maxEntries is enforced literally: with maxEntries <= 0 nothing new can be added (Full).
    WatchlistAdd addToWatchlist(const QString &tenant, const QString &userId,
                                const QString &assetId, qint64 addedNs, int maxEntries) override;
    bool removeFromWatchlist(const QString &tenant, const QString &userId,
                             const QString &assetId) override;
    QStringList watchlist(const QString &tenant, const QString &userId) override;

    int importCatalog(const QList<CatalogAsset> &assets) override;
    QHash<QString, QByteArray> catalogAssets(const QStringList &ids) override;
    /// Case-insensitive: ASCII searches are done by SQLite (lower()), others by QString in C++.
    /// limit <= 0 returns nothing.
    QList<CatalogAsset> searchCatalog(const QString &search, int limit) override;
    int catalogSize() override;

private:
    struct WriteJob;
    struct Writer;
    struct Readers;
    struct ReadSession;

    /// Runs `fn` on the writer thread inside the next batch; returns after its commit.
    void write(const std::function<void(QSqlDatabase &)> &fn);

    const QString m_path;
    const Options m_options;
    const QString m_connectionPrefix;

    mutable std::mutex m_lifecycle; ///< serializes open()/close()
    std::unique_ptr<Writer> m_writer;
    std::unique_ptr<Readers> m_readers;
};

} // namespace oxm
