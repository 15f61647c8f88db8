#include "inmemoryactivestreams.h"

#include <QSet>
#include <algorithm>
#include <limits>
#include <vector>

namespace oxm {

QString InMemoryActiveStreams::userKey(const QString &tenant, const QString &userId)
{
    // Identifiers never contain U+0000 (contract §3), so the separator is unambiguous.
    return tenant + QChar(u'\0') + userId;
}

InMemoryActiveStreams::Shard &InMemoryActiveStreams::shardFor(const QString &key) const
{
    return m_shards[qHash(key) % ShardCount];
}

void InMemoryActiveStreams::prune(UserStreams &user, qint64 nowNs, QList<StreamKey> *expired)
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

namespace {

constexpr qint64 kNsPerSecond = 1000000000;

qint64 secondOf(qint64 ns)
{
    return ns >= 0 ? ns / kNsPerSecond : -((-ns + kNsPerSecond - 1) / kNsPerSecond);
}

} // namespace

void InMemoryActiveStreams::schedule(Shard &shard, const QString &key, UserStreams &user)
{
    qint64 earliest = std::numeric_limits<qint64>::max();
    for (const ActiveStream &s : std::as_const(user.streams))
        earliest = std::min(earliest, s.expiresNs);
    for (const Tombstone &t : std::as_const(user.endedByAdmin))
        earliest = std::min(earliest, t.untilNs);
    if (earliest == std::numeric_limits<qint64>::max())
        return;
    const qint64 second = secondOf(earliest);
    if (user.dueSecond != NotDue && user.dueSecond <= second)
        return; // it comes due no later than this, and is looked at again then
    user.dueSecond = second;
    shard.due[second].append(key);
}

ActiveStreams::HeartbeatOutcome InMemoryActiveStreams::heartbeat(const StreamKey &key, bool explicitDevice,
                                                                 const StreamPolicy &policy, qint64 progress,
                                                                 qint64 nowNs, qint64 expiresNs)
{
    const QString uk = userKey(key.tenant, key.userId);
    Shard &shard = shardFor(uk);
    HeartbeatOutcome out;
    QMutexLocker locker(&shard.mutex);
    UserStreams &user = shard.users[uk];
    prune(user, nowNs, &out.expired);

    for (ActiveStream &s : user.streams) {
        if (s.key == key) {
            s.lastHeartbeatNs = nowNs;
            s.expiresNs = expiresNs;
            if (progress >= 0)
                s.progress = progress;
            out.kind = HeartbeatOutcome::Kind::Refreshed;
            out.stream = s;
            return out;
        }
    }

    for (const Tombstone &t : std::as_const(user.endedByAdmin)) {
        if (t.key == key) {
            out.kind = HeartbeatOutcome::Kind::EndedByAdmin;
            out.tombstoneUntilNs = t.untilNs;
            return out;
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

    const auto refused = [&](ErrorCode code, int limit, int active) {
        out.kind = HeartbeatOutcome::Kind::Refused;
        out.refusalCode = code;
        out.refusalLimit = limit;
        out.refusalActive = active;
        // A copy of its own (not one sharing user.streams' array): it is read after the
        // unlock, while another heartbeat or stop() may change user.streams.
        out.current = QList<ActiveStream>(user.streams.cbegin(), user.streams.cend());
        if (user.streams.isEmpty() && user.endedByAdmin.isEmpty())
            shard.users.remove(uk);
        return out;
    };

    if (policy.maxPerUser > 0 && remaining.size() >= policy.maxPerUser)
        return refused(ErrorCode::MaxPerUser, policy.maxPerUser, int(remaining.size()));
    if (policy.maxPerAsset > 0) {
        const auto onAsset = std::count_if(remaining.cbegin(), remaining.cend(),
                                           [&](const ActiveStream &s) { return s.key.assetId == key.assetId; });
        if (onAsset >= policy.maxPerAsset)
            return refused(ErrorCode::MaxPerAsset, policy.maxPerAsset, int(onAsset));
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
            return refused(ErrorCode::MaxDevices, policy.maxDevices, int(devices.size()));
    }

    ActiveStream admitted;
    admitted.key = key;
    admitted.explicitDevice = explicitDevice;
    admitted.startedNs = nowNs;
    admitted.lastHeartbeatNs = nowNs;
    admitted.expiresNs = expiresNs;
    admitted.progress = progress;
    remaining.append(admitted);
    user.streams = std::move(remaining);
    schedule(shard, uk, user);
    out.kind = HeartbeatOutcome::Kind::Admitted;
    out.stream = admitted;
    out.replaced = std::move(replaced);
    return out;
}

bool InMemoryActiveStreams::stop(const StreamKey &key, qint64 nowNs, QList<StreamKey> *expired)
{
    const QString uk = userKey(key.tenant, key.userId);
    Shard &shard = shardFor(uk);
    QMutexLocker locker(&shard.mutex);
    auto it = shard.users.find(uk);
    if (it == shard.users.end())
        return false;
    prune(*it, nowNs, expired);
    const bool removed = it->streams.removeIf([&](const ActiveStream &s) { return s.key == key; }) > 0;
    if (it->streams.isEmpty() && it->endedByAdmin.isEmpty())
        shard.users.erase(it);
    return removed;
}

bool InMemoryActiveStreams::endByAdmin(const StreamKey &key, qint64 nowNs, qint64 untilNs, QList<StreamKey> *expired)
{
    const QString uk = userKey(key.tenant, key.userId);
    Shard &shard = shardFor(uk);
    QMutexLocker locker(&shard.mutex);
    auto it = shard.users.find(uk);
    if (it == shard.users.end())
        return false;
    prune(*it, nowNs, expired);
    if (it->streams.removeIf([&](const ActiveStream &s) { return s.key == key; }) == 0)
        return false;
    it->endedByAdmin.append(Tombstone{key, untilNs});
    schedule(shard, it.key(), *it);
    return true;
}

QList<ActiveStream> InMemoryActiveStreams::activeStreams(const QString &tenant, const QString &userId,
                                                         qint64 nowNs) const
{
    const QString uk = userKey(tenant, userId);
    Shard &shard = shardFor(uk);
    QMutexLocker locker(&shard.mutex);
    QList<ActiveStream> out;
    const auto it = shard.users.constFind(uk);
    if (it == shard.users.constEnd())
        return out;
    for (const ActiveStream &s : it->streams)
        if (s.expiresNs > nowNs)
            out.append(s);
    return out;
}

QList<ActiveStream> InMemoryActiveStreams::snapshot(qint64 nowNs) const
{
    QList<ActiveStream> out;
    for (Shard &shard : m_shards) {
        QMutexLocker locker(&shard.mutex);
        for (const UserStreams &user : std::as_const(shard.users))
            for (const ActiveStream &s : user.streams)
                if (s.expiresNs > nowNs)
                    out.append(s);
    }
    return out;
}

qsizetype InMemoryActiveStreams::activeCount(qint64 nowNs) const
{
    qsizetype n = 0;
    for (Shard &shard : m_shards) {
        QMutexLocker locker(&shard.mutex);
        for (const UserStreams &user : std::as_const(shard.users))
            for (const ActiveStream &s : user.streams)
                n += s.expiresNs > nowNs ? 1 : 0;
    }
    return n;
}

QList<StreamKey> InMemoryActiveStreams::expireStale(qint64 nowNs)
{
    QList<StreamKey> expired;
    const qint64 nowSecond = secondOf(nowNs);
    for (Shard &shard : m_shards) {
        QMutexLocker locker(&shard.mutex);
        // The buckets that are due are taken out first: a user whose earliest deadline is later
        // in this same second goes back into a bucket and is looked at by the next sweep.
        std::vector<std::pair<qint64, QList<QString>>> dueNow;
        const auto end = shard.due.upper_bound(nowSecond);
        for (auto b = shard.due.begin(); b != end; ++b)
            dueNow.emplace_back(b->first, std::move(b->second));
        shard.due.erase(shard.due.begin(), end);
        for (const auto &[second, keys] : dueNow) {
            for (const QString &key : keys) {
                const auto it = shard.users.find(key);
                if (it == shard.users.end() || it->dueSecond != second)
                    continue; // gone, or waiting in an earlier bucket already visited
                prune(*it, nowNs, &expired);
                it->dueSecond = NotDue;
                if (it->streams.isEmpty() && it->endedByAdmin.isEmpty())
                    shard.users.erase(it);
                else
                    schedule(shard, it.key(), *it);
            }
        }
    }
    return expired;
}

} // namespace oxm
