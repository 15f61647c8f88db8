#include "streamregistry.h"

#include "core/clock.h"
#include "core/timeformat.h"
#include "domain/inmemoryactivestreams.h"

#include <QJsonArray>
#include <algorithm>
#include <limits>

namespace oxm {

StreamRegistry::StreamRegistry(const Clock &clock, int streamTimeoutSeconds, QObject *parent)
    : StreamRegistry(clock, streamTimeoutSeconds, nullptr, parent)
{
}

StreamRegistry::StreamRegistry(const Clock &clock, int streamTimeoutSeconds, std::unique_ptr<ActiveStreams> backend,
                               QObject *parent)
    : QObject(parent)
    , m_clock(clock)
    , m_timeoutSeconds(streamTimeoutSeconds)
    , m_timeoutNs(qint64(streamTimeoutSeconds) * 1000000000LL)
    , m_backend(backend ? std::move(backend) : std::make_unique<InMemoryActiveStreams>())
{
    qRegisterMetaType<oxm::ActiveStream>();
    qRegisterMetaType<oxm::StreamKey>();
    qRegisterMetaType<oxm::ErrorCode>();
}

StreamRegistry::~StreamRegistry() = default;

QString StreamRegistry::backendDescription() const
{
    return m_backend->description();
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
    using Kind = ActiveStreams::HeartbeatOutcome::Kind;
    const qint64 now = m_clock.nowNs();
    const ActiveStreams::HeartbeatOutcome out =
        m_backend->heartbeat(key, explicitDevice, policy, progress, now, now + m_timeoutNs);
    emitExpired(out.expired);
    HeartbeatResult result;
    switch (out.kind) {
    case Kind::Refreshed:
        m_refreshed.fetch_add(1, std::memory_order_relaxed);
        return result;
    case Kind::EndedByAdmin: {
        m_refused1053.fetch_add(1, std::memory_order_relaxed);
        const qint64 retry = std::max<qint64>(1, (out.tombstoneUntilNs - now + 999999999LL) / 1000000000LL);
        Q_EMIT streamRefused(key, ErrorCode::EndedByAdmin);
        throw ApiError(ErrorCode::EndedByAdmin, QStringLiteral("This stream was ended by an administrator"), {},
                       {{QByteArrayLiteral("Retry-After"), QByteArray::number(retry)}});
    }
    case Kind::Refused:
        refuse(out.refusalCode, out.refusalLimit, out.refusalActive, out.current, now, key);
    case Kind::Admitted:
        break;
    }
    result.admitted = true;
    result.replaced = out.replaced;
    m_admitted.fetch_add(1, std::memory_order_relaxed);
    for (const ActiveStream &s : std::as_const(result.replaced))
        Q_EMIT streamReplaced(s.key);
    Q_EMIT streamAdmitted(out.stream);
    return result;
}

bool StreamRegistry::stop(const StreamKey &key)
{
    QList<StreamKey> expired;
    const bool removed = m_backend->stop(key, m_clock.nowNs(), &expired);
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
    QList<StreamKey> expired;
    const bool ended = m_backend->endByAdmin(key, now, now + m_timeoutNs, &expired);
    emitExpired(expired);
    if (!ended)
        return false;
    m_endedByAdmin.fetch_add(1, std::memory_order_relaxed);
    Q_EMIT streamEndedByAdmin(key);
    return true;
}

QList<ActiveStream> StreamRegistry::activeStreams(const QString &tenant, const QString &userId) const
{
    return m_backend->activeStreams(tenant, userId, m_clock.nowNs());
}

QList<ActiveStream> StreamRegistry::snapshot() const
{
    return m_backend->snapshot(m_clock.nowNs());
}

qsizetype StreamRegistry::activeCount() const
{
    return m_backend->activeCount(m_clock.nowNs());
}

int StreamRegistry::expireStale()
{
    const QList<StreamKey> expired = m_backend->expireStale(m_clock.nowNs());
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
