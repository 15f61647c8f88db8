#include "resumepoints.h"

#include "core/clock.h"
#include "domain/apierror.h"
#include "storage/durablestore.h"

namespace oxm {

ResumePoints::ResumePoints(DurableStore &store, const Clock &clock)
    : m_store(store)
    , m_clock(clock)
{
}

ResumePoint ResumePoints::record(const QString &tenant, const QString &userId, const QString &assetId,
                                 qint64 progress)
{
    const ResumePoint point{tenant, userId, assetId, progress, m_clock.nowNs()};
    m_store.saveResumePoint(point);
    return point;
}

ResumePoint ResumePoints::get(const QString &tenant, const QString &userId, const QString &assetId)
{
    std::optional<ResumePoint> point = m_store.resumePoint(tenant, userId, assetId);
    if (!point)
        throw ApiError(ErrorCode::NotFound, QStringLiteral("No resume point for this asset"));
    return *point;
}

void ResumePoints::remove(const QString &tenant, const QString &userId, const QString &assetId)
{
    if (!m_store.deleteResumePoint(tenant, userId, assetId))
        throw ApiError(ErrorCode::NotFound, QStringLiteral("No resume point for this asset"));
}

QList<ResumePoint> ResumePoints::history(const QString &tenant, const QString &userId)
{
    return m_store.history(tenant, userId);
}

} // namespace oxm
