#include "policyservice.h"

#include "domain/apierror.h"
#include "storage/durablestore.h"

namespace oxm {

PolicyService::PolicyService(DurableStore &store, QObject *parent)
    : QObject(parent)
    , m_store(store)
{
    qRegisterMetaType<oxm::StreamPolicy>();
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
