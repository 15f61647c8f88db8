#include "resumepoints.h"

#include "core/clock.h"
#include "domain/apierror.h"
#include "storage/durablestore.h"

#include <QtConcurrent/QtConcurrentRun>

namespace oxm {

ResumePoints::ResumePoints(DurableStore &store, const Clock &clock)
    : m_store(store)
    , m_clock(clock)
{
    // Each waiting thread holds one write in the writer's queue; 128 lets a commit batch that
    // many heartbeats. The threads sleep while they wait and expire when idle.
    m_writers.setMaxThreadCount(128);
    m_writers.setExpiryTimeout(30000);
}

QFuture<void> ResumePoints::recordAsync(const QString &tenant, const QString &userId, const QString &assetId,
                                        qint64 progress)
{
    const ResumePoint point{tenant, userId, assetId, progress, m_clock.nowNs()};
    // Through a QPromise so that a StorageError reaches the future as itself (QtConcurrent would
    // wrap it in QUnhandledException) and is mapped to 503/1503 like any other.
    return QtConcurrent::run(&m_writers, [this, point](QPromise<void> &promise) {
        try {
            m_store.saveResumePoint(point);
        } catch (...) {
            promise.setException(std::current_exception());
        }
    });
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
