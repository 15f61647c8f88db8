#pragma once

#include "domain/activestreams.h"

#include <QHash>
#include <QMutex>
#include <QSet>
#include <array>
#include <limits>
#include <map>

namespace oxm {

/// Active streams held in this process (the embedded default, without --redis).
///
/// Sharded by (tenant, user) with one mutex per shard, so an admission decision and its
/// insertion are one atomic step. Thread-safe. See ActiveStreams for the contract of each call.
///
/// Layout (issue 6, bench/README.md "memory per active stream"): a user's tenant and ID are kept
/// once, in the key of its entry, not in each stream; a stream keeps its asset and device IDs,
/// three times and its progress. Tenant and asset IDs are interned (one copy per process, shared
/// by every stream of that tenant or asset; copies no stream uses any more are dropped by the
/// expiry sweep at most once a minute). Expiry is bucketed by second (see Shard::due).
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
    /// Whose streams: the key of a user's entry.
    struct UserKey
    {
        QString tenant;
        QString userId;
        friend bool operator==(const UserKey &, const UserKey &) = default;
        friend size_t qHash(const UserKey &key, size_t seed = 0) { return qHashMulti(seed, key.tenant, key.userId); }
    };
    /// One active stream of a user (tenant and user are the entry's key).
    struct Stream
    {
        QString assetId; ///< interned
        QString device;
        qint64 startedNs = 0;
        qint64 lastHeartbeatNs = 0;
        qint64 expiresNs = 0;
        qint64 progress = -1;
        bool explicitDevice = false;
    };
    /// A stream ended by an administrator: its heartbeats are refused until `untilNs`.
    struct Tombstone
    {
        QString assetId;
        QString device;
        qint64 untilNs = 0;
    };
    static constexpr qint64 NotDue = std::numeric_limits<qint64>::min();
    struct UserStreams
    {
        QList<Stream> streams; ///< in admission order
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
        QHash<UserKey, UserStreams> users;
        std::map<qint64, QList<UserKey>> due; // second -> users (strings shared with `users`' keys)
    };
    static constexpr int ShardCount = 64;

    Shard &shardFor(const UserKey &user) const;
    static StreamKey streamKey(const UserKey &user, const QString &assetId, const QString &device);
    static ActiveStream activeStream(const UserKey &user, const Stream &stream);
    static void prune(const UserKey &key, UserStreams &user, qint64 nowNs, QList<StreamKey> *expired);
    /// Puts the user in the bucket of its earliest deadline if that is earlier than where it
    /// waits (or it waits nowhere). Call with the shard locked after adding a stream or tombstone.
    static void schedule(Shard &shard, const UserKey &key, UserStreams &user);
    /// The process's copy of a tenant or asset ID.
    QString intern(const QString &id);
    /// Drops interned IDs no stream holds any more (at most once a minute).
    void sweepInterned(qint64 nowSecond);

    mutable std::array<Shard, ShardCount> m_shards;
    QMutex m_internMutex;
    QSet<QString> m_interned;          // guarded by m_internMutex
    qint64 m_internSweptSecond = 0;    // guarded by m_internMutex
};

} // namespace oxm
