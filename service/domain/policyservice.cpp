#include "policyservice.h"

#include "domain/apierror.h"
#include "storage/durablestore.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcPolicies, "oxm.policies")

namespace oxm {

PolicyService::PolicyService(DurableStore &store, QObject *parent)
    : QObject(parent)
    , m_store(store)
{
    qRegisterMetaType<oxm::StreamPolicy>();
    m_store.setPolicyListener([this](const QString &tenant) {
        try {
            refresh(tenant);
        } catch (const StorageError &error) {
            // The store reports an empty tenant (reload all) once it is reachable again.
            qCWarning(lcPolicies).noquote() << "cannot refresh the policy of" << tenant << ":" << error.what();
        }
    });
}

PolicyService::~PolicyService()
{
    m_store.setPolicyListener({}); // returns once no refresh is running
}

void PolicyService::refresh(const QString &tenant)
{
    // A write through this service that lands while we read may be newer than what we read: then
    // the read is dropped (that write's own notification triggers a refresh after its commit).
    quint64 generation;
    {
        QReadLocker locker(&m_lock);
        generation = m_generation;
    }
    if (tenant.isEmpty()) {
        const QHash<QString, StreamPolicy> all = m_store.allPolicies();
        for (auto it = all.cbegin(); it != all.cend(); ++it)
            apply(it.key(), it.value(), generation);
        return;
    }
    if (const std::optional<StreamPolicy> stored = m_store.policy(tenant))
        apply(tenant, *stored, generation);
}

void PolicyService::apply(const QString &tenant, const StreamPolicy &policy, quint64 generation)
{
    bool known;
    bool changed;
    {
        QWriteLocker locker(&m_lock);
        if (m_generation != generation)
            return;
        const auto it = m_cache.constFind(tenant);
        known = it != m_cache.constEnd();
        changed = !known || *it != policy;
        m_cache.insert(tenant, policy);
    }
    if (!known)
        Q_EMIT tenantRegistered(tenant);
    if (changed)
        Q_EMIT policyChanged(tenant, policy);
}

void PolicyService::validate(const StreamPolicy &policy)
{
    const auto inRange = [](int v) { return v >= 0 && v <= MaxLimit; };
    if (!inRange(policy.maxPerUser) || !inRange(policy.maxPerAsset) || !inRange(policy.maxDevices))
        throw ApiError(ErrorCode::InvalidParameter,
                       QStringLiteral("maxPerUser, maxPerAsset and maxDevices must be integers from 0 to %1")
                           .arg(MaxLimit));
    if (policy.maxPerUser > 0 && policy.maxPerAsset > policy.maxPerUser)
        throw ApiError(ErrorCode::PolicyInconsistent,
                       QStringLiteral("maxPerAsset (%1) must not exceed maxPerUser (%2)")
                           .arg(policy.maxPerAsset)
                           .arg(policy.maxPerUser));
}

std::optional<StreamPolicy> PolicyService::policy(const QString &tenant)
{
    {
        QReadLocker locker(&m_lock);
        const auto it = m_cache.constFind(tenant);
        if (it != m_cache.constEnd())
            return *it;
    }
    const std::optional<StreamPolicy> stored = m_store.policy(tenant);
    if (stored) {
        QWriteLocker locker(&m_lock);
        m_cache.insert(tenant, *stored);
    }
    return stored;
}

StreamPolicy PolicyService::effectivePolicy(const QString &tenant)
{
    // The hot path of every heartbeat: memory only. Every policy is loaded at start (load())
    // and every change made through this service updates the cache; a tenant not in it has no
    // limits (registered elsewhere with all zeros, or not at all).
    QReadLocker locker(&m_lock);
    return m_cache.value(tenant);
}

void PolicyService::load()
{
    allPolicies();
}

StreamPolicy PolicyService::setPolicy(const QString &tenant, const StreamPolicy &policy)
{
    validate(policy);
    bool wasKnown;
    {
        QReadLocker locker(&m_lock);
        wasKnown = m_cache.contains(tenant);
    }
    if (!wasKnown)
        wasKnown = m_store.policy(tenant).has_value();
    m_store.setPolicy(tenant, policy);
    {
        QWriteLocker locker(&m_lock);
        m_cache.insert(tenant, policy);
        ++m_generation;
    }
    if (!wasKnown)
        Q_EMIT tenantRegistered(tenant);
    Q_EMIT policyChanged(tenant, policy);
    return policy;
}

bool PolicyService::registerTenant(const QString &tenant)
{
    const bool added = m_store.registerTenant(tenant);
    if (added) {
        {
            QWriteLocker locker(&m_lock);
            m_cache.insert(tenant, StreamPolicy{});
            ++m_generation;
        }
        Q_EMIT tenantRegistered(tenant);
    }
    return added;
}

QHash<QString, StreamPolicy> PolicyService::allPolicies()
{
    QHash<QString, StreamPolicy> all = m_store.allPolicies();
    QWriteLocker locker(&m_lock);
    for (auto it = all.cbegin(); it != all.cend(); ++it)
        m_cache.insert(it.key(), it.value());
    return all;
}

} // namespace oxm
