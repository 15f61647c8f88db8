#pragma once

#include "domain/activestreams.h"

#include <QHash>
#include <QMutex>
#include <array>
#include <limits>
#include <map>

namespace oxm {

/// Active streams held in this process (the embedded default, without --redis).
///
/// Sharded by (tenant, user) with one mutex per shard, so an admission decision and its
/// insertion are one atomic step. Thread-safe. See ActiveStreams for the contract of each call.
class InMemoryActiveStreams final : public ActiveStreams
{
public:
    InMemoryActiveStreams() = default;

    HeartbeatOutcome heartbeat(const StreamKey &key, bool explicitDevice, const StreamPolicy &policy,
                               qint64 progress, qint64 nowNs, qint64 expiresNs) override;
    bool stop(const StreamKey &key, qint64 nowNs, QList<StreamKey> *expired) override;
    bool endByAdmin(const StreamKey &key, qint64 nowNs, qint64 untilNs, QList<StreamKey> *expired) override;
    QList<ActiveStream> activeStreams(const QString &tenant, const QString &userId, qint64 nowNs) const override;
    QList<ActiveStream> snapshot(qint64 nowNs) const override;
    qsizetype activeCount(qint64 nowNs) const override;
    QList<StreamKey> expireStale(qint64 nowNs) override;
    QString description() const override { return QStringLiteral("in-process"); }

private:
    struct Tombstone
    {
        StreamKey key;
        qint64 untilNs = 0;
    };
    static constexpr qint64 NotDue = std::numeric_limits<qint64>::min();
    struct UserStreams
    {
        QList<ActiveStream> streams; ///< in admission order
        QList<Tombstone> endedByAdmin;
        qint64 dueSecond = NotDue; ///< the expiry bucket this user waits in
    };
    /// Users wait in the bucket of the second their earliest deadline (a stream's expiresNs or a
    /// tombstone's untilNs) falls in; expireStale() visits only the buckets that are due, so a
    /// sweep costs what expired, not the whole active set (issue 6). A refresh that moves the
    /// deadline later leaves the user where it is: the bucket comes due, nothing has expired,
    /// and the user moves to the bucket of its new earliest deadline (at most one visit per
    /// user and stream timeout, no work per heartbeat). An entry whose user has gone or moved to
    /// an earlier bucket is skipped.
    struct Shard
    {
        mutable QMutex mutex;
        QHash<QString, UserStreams> users; // key: tenant + '\0' + userId
        std::map<qint64, QList<QString>> due; // second -> user keys (shared with `users`' keys)
    };
    static constexpr int ShardCount = 64;

    static QString userKey(const QString &tenant, const QString &userId);
    Shard &shardFor(const QString &userKey) const;
    static void prune(UserStreams &user, qint64 nowNs, QList<StreamKey> *expired);
    /// Puts the user in the bucket of its earliest deadline if that is earlier than where it
    /// waits (or it waits nowhere). Call with the shard locked after adding a stream or tombstone.
    static void schedule(Shard &shard, const QString &key, UserStreams &user);

    mutable std::array<Shard, ShardCount> m_shards;
};

} // namespace oxm
