#pragma once

#include "domain/types.h"

#include <QHash>
#include <QStringList>
#include <exception>
#include <functional>
#include <optional>

namespace oxm {

/// The durable half of OXM's state: tenants and their policies, resume points, watchlists and
/// the asset catalog (architecture.md, "ports"). Implemented by SqliteStore and PostgresStore
/// (the statements of both: sqloperations.h).
///
/// Every method is thread-safe and synchronous. A write method returns only after its
/// transaction has committed, so a 2xx sent after it survives kill -9 (issue 2). Every method
/// throws StorageError (domain/apierror.h) on a database fault; nothing is half-written.
/// Identifiers are compared byte-exact (case-sensitive).
class DurableStore
{
public:
    virtual ~DurableStore() = default;

    // --- tenants and policies (contract §4) ---
    /// All registered tenants, sorted.
    virtual QStringList tenants() = 0;
    /// The tenant's policy; std::nullopt when the tenant was never registered.
    virtual std::optional<StreamPolicy> policy(const QString &tenant) = 0;
    /// Every registered tenant with its policy.
    virtual QHash<QString, StreamPolicy> allPolicies() = 0;
    /// Registers a tenant with an all-zero policy. Returns false if it was already registered.
    virtual bool registerTenant(const QString &tenant) = 0;
    /// Stores the policy, registering the tenant if needed.
    virtual void setPolicy(const QString &tenant, const StreamPolicy &policy) = 0;

    // --- resume points (contract §5) ---
    /// Inserts or replaces the resume point of (tenant, userId, assetId), unless the stored one
    /// has a later updatedNs (concurrent writes may commit out of order; the latest wins).
    virtual void saveResumePoint(const ResumePoint &point) = 0;
    /// As saveResumePoint(), without blocking the caller: returns true when the store took the
    /// write, and then calls `done` exactly once, on a thread of its own, after the write
    /// committed (null) or failed (the StorageError); `done` must not throw. Returns false, and
    /// does nothing, when the store has no asynchronous path (the caller then calls
    /// saveResumePoint() on a thread of its own). Throws StorageError when the store is not open.
    /// SqliteStore: the job joins the writer's group commit and `done` runs on the writer thread
    /// (issue 6: a heartbeat with progress no longer takes a pool thread hop).
    virtual bool saveResumePointAsync(const ResumePoint &point, std::function<void(std::exception_ptr)> done)
    {
        Q_UNUSED(point);
        Q_UNUSED(done);
        return false;
    }
    virtual std::optional<ResumePoint> resumePoint(const QString &tenant, const QString &userId,
                                                   const QString &assetId) = 0;
    /// Returns false when there was none.
    virtual bool deleteResumePoint(const QString &tenant, const QString &userId,
                                   const QString &assetId) = 0;
    /// The user's resume points, most recently updated first.
    virtual QList<ResumePoint> history(const QString &tenant, const QString &userId) = 0;

    // --- watchlist (contract §6) ---
    enum class WatchlistAdd { Added, AlreadyPresent, Full };
    /// Adds assetId unless present (an existing entry keeps its position). Refuses with Full when
    /// the user already has maxEntries entries.
    virtual WatchlistAdd addToWatchlist(const QString &tenant, const QString &userId,
                                        const QString &assetId, qint64 addedNs, int maxEntries) = 0;
    /// Returns false when the asset was not in the list.
    virtual bool removeFromWatchlist(const QString &tenant, const QString &userId,
                                     const QString &assetId) = 0;
    /// Asset IDs, newest first (by first addition).
    virtual QStringList watchlist(const QString &tenant, const QString &userId) = 0;

    // --- asset catalog (contract §7) ---
    /// Inserts or replaces each asset by id, all in one transaction. Returns how many were stored.
    virtual int importCatalog(const QList<CatalogAsset> &assets) = 0;
    /// Metadata of those of `ids` that are in the catalog, keyed by id.
    virtual QHash<QString, QByteArray> catalogAssets(const QStringList &ids) = 0;
    /// Assets whose id or metadata contains `search` (case-insensitive; all when empty), ordered
    /// by id, at most `limit`.
    virtual QList<CatalogAsset> searchCatalog(const QString &search, int limit) = 0;
    virtual int catalogSize() = 0;

    // --- changes made by other processes sharing the database ---
    /// Called with a tenant whose policy another process (or another store in this one) changed or
    /// registered, after the change committed; with an empty tenant when changes may have been
    /// missed (the notification channel was (re-)established): reload everything. Called on a thread of
    /// the store's; setPolicyListener({}) returns only once no call is running any more.
    using PolicyListener = std::function<void(const QString &tenant)>;
    /// Default: no notifications (SQLite: changes by another process are seen after a restart).
    virtual void setPolicyListener(PolicyListener listener) { (void)listener; }
};

} // namespace oxm
