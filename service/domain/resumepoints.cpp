#include "resumepoints.h"

#include "core/clock.h"
#include "core/threadnice.h"
#include "domain/apierror.h"
#include "storage/durablestore.h"

#include <QAbstractEventDispatcher>
#include <QPointer>
#include <QPromise>
#include <QThread>

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
    // A QPromise of our own, so that a StorageError reaches the future as itself (QtConcurrent
    // would wrap it in QUnhandledException) and is mapped to 503/1503 like any other.
    //
    // The future is finished on the calling thread's event loop, not on the pool thread: the
    // caller attaches continuations (then/onFailed) right after this returns, and Qt 6.4 can run
    // a continuation twice when it is attached while another thread finishes the future (a
    // crash found by fuzz_request, tests/fuzz/README.md finding 4). Attaching and finishing on
    // one thread cannot overlap. A caller without an event loop gets the future finished on the
    // store's writer thread or the pool thread.
    auto promise = std::make_shared<QPromise<void>>();
    QFuture<void> future = promise->future();
    promise->start();
    QPointer<QObject> home = QAbstractEventDispatcher::instance(QThread::currentThread());
    const auto finishAtHome = [promise, home](std::exception_ptr failure) {
        const auto finish = [promise, failure] {
            if (failure)
                promise->setException(failure);
            promise->finish();
        };
        if (!home || !QMetaObject::invokeMethod(home.data(), finish, Qt::QueuedConnection))
            finish();
    };
    // The store's own asynchronous path when it has one (SQLite: the write joins the writer's
    // group commit and completes from the writer thread, no pool thread in between).
    try {
        if (m_store.saveResumePointAsync(point, finishAtHome))
            return future;
    } catch (...) { // not open: nothing is in flight, the caller has attached nothing yet
        promise->setException(std::current_exception());
        promise->finish();
        return future;
    }
    m_writers.start([this, point, finishAtHome] {
        applyServiceThreadNice();
        std::exception_ptr failure;
        try {
            m_store.saveResumePoint(point);
        } catch (...) {
            failure = std::current_exception();
        }
        finishAtHome(failure);
    });
    return future;
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
