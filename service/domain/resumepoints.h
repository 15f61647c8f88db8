#pragma once

#include "domain/types.h"

#include <QFuture>
#include <QThreadPool>
#include <optional>

namespace oxm {

class Clock;
class DurableStore;

/// Resume points: one per (tenant, user, asset), whatever the device (contract §5;
/// seed: "Retrieve stream progress", "List stream progress history").
class ResumePoints final
{
    Q_DISABLE_COPY_MOVE(ResumePoints)

public:
    /// Largest progress value accepted, in seconds (contract §5).
    static constexpr qint64 MaxProgress = 2147483647;

    ResumePoints(DurableStore &store, const Clock &clock);

    /// Stores `progress` (seconds) stamped with the server's time; returns after the commit.
    ResumePoint record(const QString &tenant, const QString &userId, const QString &assetId, qint64 progress);
    /// Same, stamped now, but returns at once: the future finishes when the write has committed
    /// (or fails with StorageError). Many writes in flight share one commit (group commit), so
    /// the HTTP threads keep serving while a batch is written.
    QFuture<void> recordAsync(const QString &tenant, const QString &userId, const QString &assetId,
                              qint64 progress);
    /// Throws ApiError NotFound (1040) when there is none.
    ResumePoint get(const QString &tenant, const QString &userId, const QString &assetId);
    /// Throws ApiError NotFound (1040) when there is none.
    void remove(const QString &tenant, const QString &userId, const QString &assetId);
    /// Most recently updated first.
    QList<ResumePoint> history(const QString &tenant, const QString &userId);

private:
    DurableStore &m_store;
    const Clock &m_clock;
    QThreadPool m_writers; ///< threads that wait for commits on behalf of deferred responses
};

} // namespace oxm
