#pragma once

#include "domain/types.h"

#include <QHash>
#include <QObject>
#include <QReadWriteLock>
#include <QStringList>
#include <optional>

namespace oxm {

class DurableStore;

/// Tenants and their streaming policies (seed: "Managing Streaming Policies"; contract §4).
/// Reads are served from a cache filled from the DurableStore by load(); policy() also finds a
/// tenant registered by another process (e.g. `oxm-server tenant add`) on its first miss. Writes go to the store
/// first and reach the cache only once committed. Thread-safe.
///
/// Several instances over one PostgreSQL database (issue 5): the store reports each policy change
/// or registration committed by any instance (DurableStore::setPolicyListener; PostgreSQL
/// LISTEN/NOTIFY), and refresh() re-reads that tenant from the database, so a PUT through one
/// instance is enforced by the others as soon as the notification arrives (milliseconds). When
/// notifications may have been lost (the listening connection was re-established after a
/// database restart), every policy is re-read. With SQLite there are no notifications.
class PolicyService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PolicyService)

public:
    /// Upper bound of every limit (contract §4).
    static constexpr int MaxLimit = 1000000;

    /// Registers with `store` for changes made elsewhere (see class doc).
    explicit PolicyService(DurableStore &store, QObject *parent = nullptr);
    ~PolicyService() override;

    /// Throws ApiError InvalidParameter (1104) when a limit is outside [0, 1,000,000], and
    /// PolicyInconsistent (1105) when maxPerAsset > maxPerUser while maxPerUser > 0.
    static void validate(const StreamPolicy &policy);

    /// The tenant's policy, or std::nullopt when it was never registered. Throws StorageError.
    std::optional<StreamPolicy> policy(const QString &tenant);
    /// Fills the cache with every stored policy. Throws StorageError.
    void load();
    /// The policy that admission applies: the tenant's, or all zeros (nothing enforced) for an
    /// unregistered tenant. From memory only (see load()): it never waits for the database.
    StreamPolicy effectivePolicy(const QString &tenant);
    /// Validates (see validate()), stores, registers the tenant if needed, emits policyChanged.
    /// Returns the stored policy.
    StreamPolicy setPolicy(const QString &tenant, const StreamPolicy &policy);
    /// Registers a tenant with an all-zero policy. Returns false when it already existed.
    bool registerTenant(const QString &tenant);
    /// All registered tenants with their policies.
    QHash<QString, StreamPolicy> allPolicies();
    /// Re-reads `tenant`'s policy from the store (every tenant's when empty), updates the cache
    /// and emits tenantRegistered / policyChanged for what differs from it. Throws StorageError.
    void refresh(const QString &tenant);

Q_SIGNALS:
    void policyChanged(const QString &tenant, const oxm::StreamPolicy &policy);
    void tenantRegistered(const QString &tenant);

private:
    /// Caches a policy read by refresh() unless this service wrote one since `generation`.
    void apply(const QString &tenant, const StreamPolicy &policy, quint64 generation);

    DurableStore &m_store;
    QReadWriteLock m_lock;
    QHash<QString, StreamPolicy> m_cache;
    quint64 m_generation = 0; ///< writes through this service (guarded by m_lock)
};

} // namespace oxm

Q_DECLARE_METATYPE(oxm::StreamPolicy)
