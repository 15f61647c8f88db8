#pragma once

#include "domain/activestreams.h"
#include "domain/apierror.h"
#include "domain/types.h"

#include <QObject>
#include <atomic>
#include <memory>

namespace oxm {

class Clock;

/// The set of active streams and the admission rules of contract §5: per-user limits
/// (maxPerUser 1050, maxPerAsset 1051, maxDevices 1052), expiry after the stream timeout,
/// next-episode replacement on an explicitly identified device, and streams ended by an
/// administrator (1053).
///
/// The state lives in an ActiveStreams backend: in this process (InMemoryActiveStreams, the
/// default) or in Redis shared by several instances (RedisActiveStreams, --redis). Either way an
/// admission decision and its insertion are one atomic step: N concurrent first heartbeats
/// against a limit L admit exactly min(N, L). The registry turns the backend's outcomes into
/// ApiErrors, counters (this process's) and signals. Thread-safe. Signals are emitted from the
/// calling thread. With a backend that cannot be reached every call throws ApiError 1503.
class StreamRegistry final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamRegistry)

public:
    /// What a heartbeat did.
    struct HeartbeatResult
    {
        bool admitted = false;          ///< true: a new stream; false: an active one refreshed
        QList<ActiveStream> replaced;   ///< streams of the same device ended by the admission
    };

    /// Counters since start, for dashboards and metrics.
    struct Counters
    {
        quint64 admitted = 0;
        quint64 refreshed = 0;
        quint64 refusedMaxPerUser = 0;   ///< 1050
        quint64 refusedMaxPerAsset = 0;  ///< 1051
        quint64 refusedMaxDevices = 0;   ///< 1052
        quint64 refusedEndedByAdmin = 0; ///< 1053
        quint64 stopped = 0;
        quint64 expired = 0;
        quint64 endedByAdmin = 0;
    };

    /// `streamTimeoutSeconds`: a stream with no heartbeat for this long is no longer active
    /// (contract §5, default 180).
    /// The streams are kept in this process (InMemoryActiveStreams).
    StreamRegistry(const Clock &clock, int streamTimeoutSeconds, QObject *parent = nullptr);
    /// The streams are kept in `backend` (null: in this process).
    StreamRegistry(const Clock &clock, int streamTimeoutSeconds, std::unique_ptr<ActiveStreams> backend,
                   QObject *parent = nullptr);
    ~StreamRegistry() override;

    int streamTimeoutSeconds() const { return m_timeoutSeconds; }
    /// Where the streams live: "in-process" or the Redis URL (for logs and the admin app).
    QString backendDescription() const;

    /// Applies one heartbeat (PUT …/streaming). An active stream is refreshed without checking
    /// limits; otherwise the stream is admitted only if `policy` allows it (0 = not enforced),
    /// counting the user's active streams minus those it replaces. On an explicitly identified
    /// device, admission first ends that device's streams of other assets.
    /// `progress` (seconds, or -1) is remembered on the stream for dashboards.
    /// Throws ApiError 1050/1051/1052 (with "limit", "active", "streams" and a Retry-After
    /// header) or 1053; a refusal changes nothing.
    HeartbeatResult heartbeat(const StreamKey &key, bool explicitDevice, const StreamPolicy &policy,
                              qint64 progress = -1);

    /// Ends a stream (PUT …/stopped). Returns false if it was not active.
    bool stop(const StreamKey &key);

    /// Ends a stream on an administrator's request: its heartbeats are refused with 1053 until
    /// the stream timeout has passed. Returns false if it was not active.
    bool endByAdmin(const StreamKey &key);

    /// The user's active streams, oldest first.
    QList<ActiveStream> activeStreams(const QString &tenant, const QString &userId) const;
    /// Every active stream (for dashboards); with Redis, those of every instance (one round trip).
    QList<ActiveStream> snapshot() const;
    /// Number of active streams (approximate while heartbeats run concurrently).
    qsizetype activeCount() const;

    /// Drops streams whose timeout has passed and emits streamExpired for each. Returns how
    /// many expired. Called periodically by the service; reads also ignore expired streams.
    int expireStale();

    Counters counters() const;

Q_SIGNALS:
    void streamAdmitted(const oxm::ActiveStream &stream);
    void streamRefused(const oxm::StreamKey &key, oxm::ErrorCode reason);
    void streamStopped(const oxm::StreamKey &key);
    void streamReplaced(const oxm::StreamKey &key);
    void streamEndedByAdmin(const oxm::StreamKey &key);
    void streamExpired(const oxm::StreamKey &key);

private:
    void emitExpired(const QList<StreamKey> &expired);
    [[noreturn]] void refuse(ErrorCode code, int limit, int active, const QList<ActiveStream> &streams,
                             qint64 nowNs, const StreamKey &key);

    const Clock &m_clock;
    const int m_timeoutSeconds;
    const qint64 m_timeoutNs;
    std::unique_ptr<ActiveStreams> m_backend;

    std::atomic<quint64> m_admitted{0}, m_refreshed{0}, m_refused1050{0}, m_refused1051{0},
        m_refused1052{0}, m_refused1053{0}, m_stopped{0}, m_expired{0}, m_endedByAdmin{0};
};

} // namespace oxm

Q_DECLARE_METATYPE(oxm::ActiveStream)
Q_DECLARE_METATYPE(oxm::StreamKey)
