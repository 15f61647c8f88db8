#pragma once

#include "domain/activestreams.h"

#include <QHash>
#include <QMutex>
#include <array>

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
    struct UserStreams
    {
        QList<ActiveStream> streams; ///< in admission order
        QList<Tombstone> endedByAdmin;
    };
    struct Shard
    {
        mutable QMutex mutex;
        QHash<QString, UserStreams> users; // key: tenant + '\0' + userId
    };
    static constexpr int ShardCount = 64;

    static QString userKey(const QString &tenant, const QString &userId);
    Shard &shardFor(const QString &userKey) const;
    static void prune(UserStreams &user, qint64 nowNs, QList<StreamKey> *expired);

    mutable std::array<Shard, ShardCount> m_shards;
};

} // namespace oxm
