#pragma once

#include "domain/types.h"

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
    /// Throws ApiError NotFound (1040) when there is none.
    ResumePoint get(const QString &tenant, const QString &userId, const QString &assetId);
    /// Throws ApiError NotFound (1040) when there is none.
    void remove(const QString &tenant, const QString &userId, const QString &assetId);
    /// Most recently updated first.
    QList<ResumePoint> history(const QString &tenant, const QString &userId);

private:
    DurableStore &m_store;
    const Clock &m_clock;
};

} // namespace oxm
