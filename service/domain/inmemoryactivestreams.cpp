#include "inmemoryactivestreams.h"

#include <algorithm>
#include <vector>

namespace oxm {

namespace {

constexpr qint64 kNsPerSecond = 1000000000;
constexpr qint64 kInternSweepSeconds = 60;

qint64 secondOf(qint64 ns)
{
    return ns >= 0 ? ns / kNsPerSecond : -((-ns + kNsPerSecond - 1) / kNsPerSecond);
}

} // namespace

InMemoryActiveStreams::Shard &InMemoryActiveStreams::shardFor(const UserKey &user) const
{
    return m_shards[qHash(user) % ShardCount];
}

StreamKey InMemoryActiveStreams::streamKey(const UserKey &user, const QString &assetId, const QString &device)
{
    return StreamKey{user.tenant, user.userId, assetId, device};
}

ActiveStream InMemoryActiveStreams::activeStream(const UserKey &user, const Stream &stream)
{
    ActiveStream out;
    out.key = streamKey(user, stream.assetId, stream.device);
    out.explicitDevice = stream.explicitDevice;
    out.startedNs = stream.startedNs;
    out.lastHeartbeatNs = stream.lastHeartbeatNs;
    out.expiresNs = stream.expiresNs;
    out.progress = stream.progress;
    return out;
}

void InMemoryActiveStreams::prune(const UserKey &key, UserStreams &user, qint64 nowNs, QList<StreamKey> *expired)
{
    for (auto it = user.streams.begin(); it != user.streams.end();) {
        if (it->expiresNs <= nowNs) {
            if (expired)
                expired->append(streamKey(key, it->assetId, it->device));
            it = user.streams.erase(it);
        } else {
            ++it;
        }
    }
    user.endedByAdmin.removeIf([nowNs](const Tombstone &t) { return t.untilNs <= nowNs; });
}

void InMemoryActiveStreams::schedule(Shard &shard, const UserKey &key, UserStreams &user)
{
    qint64 earliest = std::numeric_limits<qint64>::max();
    for (const Stream &s : std::as_const(user.streams))
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

QString InMemoryActiveStreams::intern(const QString &id)
{
    QMutexLocker locker(&m_internMutex);
    const auto it = m_interned.constFind(id);
    if (it != m_interned.constEnd())
        return *it;
    m_interned.insert(id);
    return id;
}

void InMemoryActiveStreams::sweepInterned(qint64 nowSecond)
{
    QMutexLocker locker(&m_internMutex);
    if (nowSecond - m_internSweptSecond < kInternSweepSeconds)
        return;
    m_internSweptSecond = nowSecond;
    // A copy held only by the set is used by no stream, tombstone or key any more. (Its count can
    // only grow through the set, which is locked here.)
    m_interned.removeIf([](const QString &id) { return id.isDetached(); });
}

ActiveStreams::HeartbeatOutcome InMemoryActiveStreams::heartbeat(const StreamKey &key, bool explicitDevice,
                                                                 const StreamPolicy &policy, qint64 progress,
                                                                 qint64 nowNs, qint64 expiresNs)
{
    const UserKey uk{key.tenant, key.userId};
    Shard &shard = shardFor(uk);
    HeartbeatOutcome out;
    QMutexLocker locker(&shard.mutex);
    auto entry = shard.users.find(uk);
    UserStreams *user = entry == shard.users.end() ? nullptr : &*entry;
    static const QList<Stream> kNone;
    if (user) {
        prune(entry.key(), *user, nowNs, &out.expired);
        for (Stream &s : user->streams) {
            if (s.assetId == key.assetId && s.device == key.device) {
                s.lastHeartbeatNs = nowNs;
                s.expiresNs = expiresNs;
                if (progress >= 0)
                    s.progress = progress;
                out.kind = HeartbeatOutcome::Kind::Refreshed;
                out.stream = activeStream(entry.key(), s);
                return out;
            }
        }
        for (const Tombstone &t : std::as_const(user->endedByAdmin)) {
            if (t.assetId == key.assetId && t.device == key.device) {
                out.kind = HeartbeatOutcome::Kind::EndedByAdmin;
                out.tombstoneUntilNs = t.untilNs;
                return out;
            }
        }
    }
    const QList<Stream> &streams = user ? user->streams : kNone;

    // The streams that would remain: an explicitly identified device plays one asset at a
    // time, so its streams of other assets are replaced (only if this admission succeeds).
    QList<Stream> remaining;
    QList<ActiveStream> replaced;
    remaining.reserve(streams.size() + 1);
    for (const Stream &s : streams) {
        if (explicitDevice && s.explicitDevice && s.device == key.device && s.assetId != key.assetId)
            replaced.append(activeStream(uk, s));
        else
            remaining.append(s);
    }

    const auto refused = [&](ErrorCode code, int limit, int active) {
        out.kind = HeartbeatOutcome::Kind::Refused;
        out.refusalCode = code;
        out.refusalLimit = limit;
        out.refusalActive = active;
        // Copies of their own: read after the unlock, while another call may change the user.
        for (const Stream &s : streams)
            out.current.append(activeStream(uk, s));
        if (user && user->streams.isEmpty() && user->endedByAdmin.isEmpty())
            shard.users.erase(entry);
        return out;
    };

    if (policy.maxPerUser > 0 && remaining.size() >= policy.maxPerUser)
        return refused(ErrorCode::MaxPerUser, policy.maxPerUser, int(remaining.size()));
    if (policy.maxPerAsset > 0) {
        const auto onAsset = std::count_if(remaining.cbegin(), remaining.cend(),
                                           [&](const Stream &s) { return s.assetId == key.assetId; });
        if (onAsset >= policy.maxPerAsset)
            return refused(ErrorCode::MaxPerAsset, policy.maxPerAsset, int(onAsset));
    }
    // A device that is already streaming (even a stream this heartbeat replaces) adds no
    // device; otherwise the distinct devices that remain are counted.
    const bool knownDevice = std::any_of(streams.cbegin(), streams.cend(),
                                         [&](const Stream &s) { return s.device == key.device; });
    if (policy.maxDevices > 0 && !knownDevice) {
        QSet<QString> devices;
        for (const Stream &s : std::as_const(remaining))
            devices.insert(s.device);
        if (devices.size() >= policy.maxDevices)
            return refused(ErrorCode::MaxDevices, policy.maxDevices, int(devices.size()));
    }

    Stream admitted;
    admitted.assetId = intern(key.assetId);
    // The device of one of the user's streams, when it has one already (the same bytes once).
    admitted.device = key.device;
    for (const Stream &s : streams) {
        if (s.device == key.device) {
            admitted.device = s.device;
            break;
        }
    }
    admitted.explicitDevice = explicitDevice;
    admitted.startedNs = nowNs;
    admitted.lastHeartbeatNs = nowNs;
    admitted.expiresNs = expiresNs;
    admitted.progress = progress;
    remaining.append(admitted);
    if (!user) {
        entry = shard.users.insert(UserKey{intern(key.tenant), key.userId}, UserStreams{});
        user = &*entry;
    }
    user->streams = std::move(remaining);
    user->streams.squeeze();
    schedule(shard, entry.key(), *user);
    out.kind = HeartbeatOutcome::Kind::Admitted;
    out.stream = activeStream(entry.key(), admitted);
    out.replaced = std::move(replaced);
    return out;
}

bool InMemoryActiveStreams::stop(const StreamKey &key, qint64 nowNs, QList<StreamKey> *expired)
{
    const UserKey uk{key.tenant, key.userId};
    Shard &shard = shardFor(uk);
    QMutexLocker locker(&shard.mutex);
    auto it = shard.users.find(uk);
    if (it == shard.users.end())
        return false;
    prune(it.key(), *it, nowNs, expired);
    const bool removed = it->streams.removeIf([&](const Stream &s) {
        return s.assetId == key.assetId && s.device == key.device;
    }) > 0;
    if (it->streams.isEmpty() && it->endedByAdmin.isEmpty())
        shard.users.erase(it);
    return removed;
}

bool InMemoryActiveStreams::endByAdmin(const StreamKey &key, qint64 nowNs, qint64 untilNs, QList<StreamKey> *expired)
{
    const UserKey uk{key.tenant, key.userId};
    Shard &shard = shardFor(uk);
    QMutexLocker locker(&shard.mutex);
    auto it = shard.users.find(uk);
    if (it == shard.users.end())
        return false;
    prune(it.key(), *it, nowNs, expired);
    QString assetId;
    QString device;
    const bool removed = it->streams.removeIf([&](const Stream &s) {
        if (s.assetId != key.assetId || s.device != key.device)
            return false;
        assetId = s.assetId; // the interned copy
        device = s.device;
        return true;
    }) > 0;
    if (!removed) {
        if (it->streams.isEmpty() && it->endedByAdmin.isEmpty())
            shard.users.erase(it);
        return false;
    }
    it->endedByAdmin.append(Tombstone{assetId, device, untilNs});
    schedule(shard, it.key(), *it);
    return true;
}

QList<ActiveStream> InMemoryActiveStreams::activeStreams(const QString &tenant, const QString &userId,
                                                         qint64 nowNs) const
{
    const UserKey uk{tenant, userId};
    Shard &shard = shardFor(uk);
    QMutexLocker locker(&shard.mutex);
    QList<ActiveStream> out;
    const auto it = shard.users.constFind(uk);
    if (it == shard.users.constEnd())
        return out;
    for (const Stream &s : it->streams)
        if (s.expiresNs > nowNs)
            out.append(activeStream(it.key(), s));
    return out;
}

QList<ActiveStream> InMemoryActiveStreams::snapshot(qint64 nowNs) const
{
    QList<ActiveStream> out;
    for (Shard &shard : m_shards) {
        QMutexLocker locker(&shard.mutex);
        for (auto it = shard.users.cbegin(); it != shard.users.cend(); ++it)
            for (const Stream &s : it->streams)
                if (s.expiresNs > nowNs)
                    out.append(activeStream(it.key(), s));
    }
    return out;
}

qsizetype InMemoryActiveStreams::activeCount(qint64 nowNs) const
{
    qsizetype n = 0;
    for (Shard &shard : m_shards) {
        QMutexLocker locker(&shard.mutex);
        for (const UserStreams &user : std::as_const(shard.users))
            for (const Stream &s : user.streams)
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
        std::vector<std::pair<qint64, QList<UserKey>>> dueNow;
        const auto end = shard.due.upper_bound(nowSecond);
        for (auto b = shard.due.begin(); b != end; ++b)
            dueNow.emplace_back(b->first, std::move(b->second));
        shard.due.erase(shard.due.begin(), end);
        for (const auto &[second, keys] : dueNow) {
            for (const UserKey &key : keys) {
                const auto it = shard.users.find(key);
                if (it == shard.users.end() || it->dueSecond != second)
                    continue; // gone, or waiting in an earlier bucket already visited
                prune(it.key(), *it, nowNs, &expired);
                it->dueSecond = NotDue;
                if (it->streams.isEmpty() && it->endedByAdmin.isEmpty())
                    shard.users.erase(it);
                else
                    schedule(shard, it.key(), *it);
            }
        }
    }
    sweepInterned(nowSecond);
    return expired;
}

} // namespace oxm
