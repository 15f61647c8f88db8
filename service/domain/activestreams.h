#pragma once

#include "domain/apierror.h"
#include "domain/types.h"

#include <QList>
#include <QString>

namespace oxm {

/// Where the active streams live (the port behind StreamRegistry; architecture.md "ActiveStreams
/// ← InMemoryActiveStreams | RedisActiveStreams"). A backend keeps the streams, the tombstones of
/// streams ended by an administrator, and decides admission (contract §5) atomically: N
/// concurrent first heartbeats against a limit L admit exactly min(N, L), whatever the number of
/// threads or processes sharing the backend. It emits nothing and counts nothing: StreamRegistry
/// turns the outcomes into signals, counters and ApiErrors.
///
/// Times are ns since the Unix epoch, from the service's Clock ("now" is always passed in).
/// Every call prunes the streams of the user it touches whose expiry is <= now and returns them
/// in `expired` — each expired stream is returned exactly once across all callers (and, with a
/// shared backend, across all processes). Implementations are thread-safe.
/// Errors: a backend that cannot be reached throws ApiError 1503 (503, docs/api.md); it never
/// admits without deciding.
class ActiveStreams
{
public:
    /// What a heartbeat did (heartbeat()).
    struct HeartbeatOutcome
    {
        enum class Kind {
            Admitted,     ///< a new stream: `stream` is it, `replaced` the same device's others ended
            Refreshed,    ///< an active stream refreshed (no limit checked): `stream` is it
            Refused,      ///< refused by a limit: `refusal*` say which; nothing changed
            EndedByAdmin, ///< refused, the stream has a tombstone until `tombstoneUntilNs`
        };
        Kind kind = Kind::Refused;
        ActiveStream stream;
        QList<ActiveStream> replaced;
        ErrorCode refusalCode = ErrorCode::MaxPerUser; ///< 1050, 1051 or 1052
        int refusalLimit = 0;                          ///< the limit that refused
        int refusalActive = 0;                         ///< what it counted
        QList<ActiveStream> current;                   ///< refused: the user's active streams, oldest first
        qint64 tombstoneUntilNs = 0;
        QList<StreamKey> expired;                      ///< pruned by this call
    };

    virtual ~ActiveStreams() = default;

    /// Applies one heartbeat at `nowNs`; an admitted or refreshed stream expires at `expiresNs`.
    /// The rules are contract §5's (see StreamRegistry::heartbeat()).
    virtual HeartbeatOutcome heartbeat(const StreamKey &key, bool explicitDevice, const StreamPolicy &policy,
                                       qint64 progress, qint64 nowNs, qint64 expiresNs) = 0;
    /// Ends a stream. Returns false if it was not active.
    virtual bool stop(const StreamKey &key, qint64 nowNs, QList<StreamKey> *expired) = 0;
    /// Ends a stream and refuses its heartbeats (1053) until `untilNs`. False if it was not active.
    virtual bool endByAdmin(const StreamKey &key, qint64 nowNs, qint64 untilNs, QList<StreamKey> *expired) = 0;
    /// The user's streams with expiry > now, oldest admission first. Changes nothing.
    virtual QList<ActiveStream> activeStreams(const QString &tenant, const QString &userId, qint64 nowNs) const = 0;
    /// Every stream with expiry > now (all instances sharing the backend). Changes nothing.
    virtual QList<ActiveStream> snapshot(qint64 nowNs) const = 0;
    /// Number of streams with expiry > now.
    virtual qsizetype activeCount(qint64 nowNs) const = 0;
    /// Drops every stream with expiry <= now and returns them.
    virtual QList<StreamKey> expireStale(qint64 nowNs) = 0;
    /// A short name for logs and the admin app ("in-process", "redis://host:port/db").
    virtual QString description() const = 0;
};

} // namespace oxm
