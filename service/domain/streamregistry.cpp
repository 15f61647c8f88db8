#include "streamregistry.h"

#include "core/clock.h"
#include "core/timeformat.h"

#include <QJsonArray>
#include <QSet>

namespace oxm {

StreamRegistry::StreamRegistry(const Clock &clock, int streamTimeoutSeconds, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
    , m_timeoutSeconds(streamTimeoutSeconds)
    , m_timeoutNs(qint64(streamTimeoutSeconds) * 1000000000LL)
{
    qRegisterMetaType<oxm::ActiveStream>();
    qRegisterMetaType<oxm::StreamKey>();
    qRegisterMetaType<oxm::ErrorCode>();
}

QString StreamRegistry::userKey(const QString &tenant, const QString &userId)
{
    // Identifiers never contain U+0000 (contract §3), so the separator is unambiguous.
    return tenant + QChar(u'\0') + userId;
}

StreamRegistry::Shard &StreamRegistry::shardFor(const QString &key) const
{
    return m_shards[qHash(key) % ShardCount];
}

void StreamRegistry::prune(UserStreams &user, qint64 nowNs, QList<StreamKey> *expired) const
{
    for (auto it = user.streams.begin(); it != user.streams.end();) {
        if (it->expiresNs <= nowNs) {
            if (expired)
                expired->append(it->key);
            it = user.streams.erase(it);
        } else {
            ++it;
        }
    }
    user.endedByAdmin.removeIf([nowNs](const Tombstone &t) { return t.untilNs <= nowNs; });
}

void StreamRegistry::refuse(ErrorCode code, int limit, int active, const QList<ActiveStream> &streams,
                            qint64 nowNs, const StreamKey &key)
{
    QJsonArray list;
    qint64 earliestExpiry = std::numeric_limits<qint64>::max();
    for (const ActiveStream &s : streams) {
        list.append(QJsonObject{
            {QStringLiteral("assetId"), s.key.assetId},
            {QStringLiteral("device"), s.key.device},
            {QStringLiteral("lastHeartbeat"), rfc3339Seconds(s.lastHeartbeatNs)},
            {QStringLiteral("expiresAt"), rfc3339Seconds(s.expiresNs)},
        });
        earliestExpiry = std::min(earliestExpiry, s.expiresNs);
    }
    qint64 retryAfter = 1;
    if (earliestExpiry != std::numeric_limits<qint64>::max()) {
        const qint64 waitNs = earliestExpiry - nowNs;
        retryAfter = std::max<qint64>(1, (waitNs + 999999999LL) / 1000000000LL);
    }
    QString message;
    switch (code) {
    case ErrorCode::MaxPerUser:
        m_refused1050.fetch_add(1, std::memory_order_relaxed);
        message = QStringLiteral("Concurrent stream limit reached: %1 of maxPerUser %2").arg(active).arg(limit);
        break;
    case ErrorCode::MaxPerAsset:
        m_refused1051.fetch_add(1, std::memory_order_relaxed);
        message = QStringLiteral("Concurrent streams of this asset at the limit: %1 of maxPerAsset %2")
                      .arg(active).arg(limit);
        break;
    default:
        m_refused1052.fetch_add(1, std::memory_order_relaxed);
        message = QStringLiteral("Concurrent device limit reached: %1 of maxDevices %2").arg(active).arg(limit);
        break;
    }
    Q_EMIT streamRefused(key, code);
    throw ApiError(code, message,
                   QJsonObject{{QStringLiteral("limit"), limit},
                               {QStringLiteral("active"), active},
                               {QStringLiteral("streams"), list}},
                   {{QByteArrayLiteral("Retry-After"), QByteArray::number(retryAfter)}});
}

StreamRegistry::HeartbeatResult StreamRegistry::heartbeat(const StreamKey &key, bool explicitDevice,
                                                          const StreamPolicy &policy, qint64 progress)
{
    const qint64 now = m_clock.nowNs();
    const QString uk = userKey(key.tenant, key.userId);
    Shard &shard = shardFor(uk);
    HeartbeatResult result;
    QList<StreamKey> expired;
    ActiveStream admitted;
    {
        QMutexLocker locker(&shard.mutex);
        UserStreams &user = shard.users[uk];
        prune(user, now, &expired);

        for (ActiveStream &s : user.streams) {
            if (s.key == key) {
                s.lastHeartbeatNs = now;
                s.expiresNs = now + m_timeoutNs;
                if (progress >= 0)
                    s.progress = progress;
                m_refreshed.fetch_add(1, std::memory_order_relaxed);
                locker.unlock();
                emitExpired(expired);
                return result;
            }
        }

        for (const Tombstone &t : std::as_const(user.endedByAdmin)) {
            if (t.key == key) {
                m_refused1053.fetch_add(1, std::memory_order_relaxed);
                const qint64 retry = std::max<qint64>(1, (t.untilNs - now + 999999999LL) / 1000000000LL);
                locker.unlock();
                emitExpired(expired);
                Q_EMIT streamRefused(key, ErrorCode::EndedByAdmin);
                throw ApiError(ErrorCode::EndedByAdmin,
                               QStringLiteral("This stream was ended by an administrator"), {},
                               {{QByteArrayLiteral("Retry-After"), QByteArray::number(retry)}});
            }
        }

        // The streams that would remain: an explicitly identified device plays one asset at a
        // time, so its streams of other assets are replaced (only if this admission succeeds).
        QList<ActiveStream> remaining;
        QList<ActiveStream> replaced;
        for (const ActiveStream &s : std::as_const(user.streams)) {
            if (explicitDevice && s.explicitDevice && s.key.device == key.device && s.key.assetId != key.assetId)
                replaced.append(s);
            else
                remaining.append(s);
        }

        const auto refuseLocked = [&](ErrorCode code, int limit, int active) {
            // A copy of its own (not one sharing user.streams' array): it is read after the
            // unlock, while another heartbeat or stop() may change user.streams.
            const QList<ActiveStream> current(user.streams.cbegin(), user.streams.cend());
            if (user.streams.isEmpty() && user.endedByAdmin.isEmpty())
                shard.users.remove(uk);
            locker.unlock();
            emitExpired(expired);
            refuse(code, limit, active, current, now, key);
        };

        if (policy.maxPerUser > 0 && remaining.size() >= policy.maxPerUser)
            refuseLocked(ErrorCode::MaxPerUser, policy.maxPerUser, int(remaining.size()));
        if (policy.maxPerAsset > 0) {
            const auto onAsset = std::count_if(remaining.cbegin(), remaining.cend(),
                                               [&](const ActiveStream &s) { return s.key.assetId == key.assetId; });
            if (onAsset >= policy.maxPerAsset)
                refuseLocked(ErrorCode::MaxPerAsset, policy.maxPerAsset, int(onAsset));
        }
        // A device that is already streaming (even a stream this heartbeat replaces) adds no
        // device; otherwise the distinct devices that remain are counted.
        const bool knownDevice = std::any_of(user.streams.cbegin(), user.streams.cend(),
                                             [&](const ActiveStream &s) { return s.key.device == key.device; });
        if (policy.maxDevices > 0 && !knownDevice) {
            QSet<QString> devices;
            for (const ActiveStream &s : std::as_const(remaining))
                devices.insert(s.key.device);
            if (devices.size() >= policy.maxDevices)
                refuseLocked(ErrorCode::MaxDevices, policy.maxDevices, int(devices.size()));
        }

        admitted.key = key;
        admitted.explicitDevice = explicitDevice;
        admitted.startedNs = now;
        admitted.lastHeartbeatNs = now;
        admitted.expiresNs = now + m_timeoutNs;
        admitted.progress = progress;
        remaining.append(admitted);
        user.streams = std::move(remaining);
        result.admitted = true;
        result.replaced = std::move(replaced);
    }
    m_admitted.fetch_add(1, std::memory_order_relaxed);
    emitExpired(expired);
    for (const ActiveStream &s : std::as_const(result.replaced))
        Q_EMIT streamReplaced(s.key);
    Q_EMIT streamAdmitted(admitted);
    return result;
}

bool StreamRegistry::stop(const StreamKey &key)
{
    const qint64 now = m_clock.nowNs();
    const QString uk = userKey(key.tenant, key.userId);
    Shard &shard = shardFor(uk);
    bool removed = false;
    QList<StreamKey> expired;
    {
        QMutexLocker locker(&shard.mutex);
        auto it = shard.users.find(uk);
        if (it == shard.users.end())
            return false;
        prune(*it, now, &expired);
        removed = it->streams.removeIf([&](const ActiveStream &s) { return s.key == key; }) > 0;
        if (it->streams.isEmpty() && it->endedByAdmin.isEmpty())
            shard.users.erase(it);
    }
    emitExpired(expired);
    if (removed) {
        m_stopped.fetch_add(1, std::memory_order_relaxed);
        Q_EMIT streamStopped(key);
    }
    return removed;
}

bool StreamRegistry::endByAdmin(const StreamKey &key)
{
    const qint64 now = m_clock.nowNs();
    const QString uk = userKey(key.tenant, key.userId);
    Shard &shard = shardFor(uk);
    QList<StreamKey> expired;
    {
        QMutexLocker locker(&shard.mutex);
        auto it = shard.users.find(uk);
        if (it == shard.users.end())
            return false;
        prune(*it, now, &expired);
        if (it->streams.removeIf([&](const ActiveStream &s) { return s.key == key; }) == 0) {
            locker.unlock();
            emitExpired(expired);
            return false;
        }
        it->endedByAdmin.append(Tombstone{key, now + m_timeoutNs});
    }
    emitExpired(expired);
    m_endedByAdmin.fetch_add(1, std::memory_order_relaxed);
    Q_EMIT streamEndedByAdmin(key);
    return true;
}

QList<ActiveStream> StreamRegistry::activeStreams(const QString &tenant, const QString &userId) const
{
    const qint64 now = m_clock.nowNs();
    const QString uk = userKey(tenant, userId);
    Shard &shard = shardFor(uk);
    QMutexLocker locker(&shard.mutex);
    QList<ActiveStream> out;
    const auto it = shard.users.constFind(uk);
    if (it == shard.users.constEnd())
        return out;
    for (const ActiveStream &s : it->streams)
        if (s.expiresNs > now)
            out.append(s);
    return out;
}

QList<ActiveStream> StreamRegistry::snapshot() const
{
    const qint64 now = m_clock.nowNs();
    QList<ActiveStream> out;
    for (Shard &shard : m_shards) {
        QMutexLocker locker(&shard.mutex);
        for (const UserStreams &user : std::as_const(shard.users))
            for (const ActiveStream &s : user.streams)
                if (s.expiresNs > now)
                    out.append(s);
    }
    return out;
}

qsizetype StreamRegistry::activeCount() const
{
    const qint64 now = m_clock.nowNs();
    qsizetype n = 0;
    for (Shard &shard : m_shards) {
        QMutexLocker locker(&shard.mutex);
        for (const UserStreams &user : std::as_const(shard.users))
            for (const ActiveStream &s : user.streams)
                n += s.expiresNs > now ? 1 : 0;
    }
    return n;
}

int StreamRegistry::expireStale()
{
    const qint64 now = m_clock.nowNs();
    QList<StreamKey> expired;
    for (Shard &shard : m_shards) {
        QMutexLocker locker(&shard.mutex);
        for (auto it = shard.users.begin(); it != shard.users.end();) {
            prune(*it, now, &expired);
            if (it->streams.isEmpty() && it->endedByAdmin.isEmpty())
                it = shard.users.erase(it);
            else
                ++it;
        }
    }
    emitExpired(expired);
    return int(expired.size());
}

void StreamRegistry::emitExpired(const QList<StreamKey> &expired)
{
    if (expired.isEmpty())
        return;
    m_expired.fetch_add(expired.size(), std::memory_order_relaxed);
    for (const StreamKey &k : expired)
        Q_EMIT streamExpired(k);
}

StreamRegistry::Counters StreamRegistry::counters() const
{
    Counters c;
    c.admitted = m_admitted.load();
    c.refreshed = m_refreshed.load();
    c.refusedMaxPerUser = m_refused1050.load();
    c.refusedMaxPerAsset = m_refused1051.load();
    c.refusedMaxDevices = m_refused1052.load();
    c.refusedEndedByAdmin = m_refused1053.load();
    c.stopped = m_stopped.load();
    c.expired = m_expired.load();
    c.endedByAdmin = m_endedByAdmin.load();
    return c;
}

} // namespace oxm
