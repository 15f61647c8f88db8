#pragma once

#include "domain/activestreams.h"
#include "streams/redisclient.h"

#include <QByteArray>
#include <memory>

namespace oxm {

/// Active streams kept in Redis (--redis redis://HOST:PORT[/DB]), shared by every oxm-server
/// instance that names the same Redis: admission, stop, end-by-admin, the user's streams,
/// /streams/counts and the admin app's live view all read and write the same state.
///
/// Every change is ONE Lua script run by Redis atomically (EVALSHA, reloaded on NOSCRIPT), so
/// N instances together admit exactly min(N, L). Key layout (P = `keyPrefix`, default "oxm:";
/// UK = tenant + U+001F + userId; M = assetId + U+001F + deviceId — identifiers never contain
/// control characters, contract §3):
///   - `P s:UK`  sorted set: the user's streams M, scored by expiry (ms since the epoch, floor);
///   - `P h:UK`  hash: M → "EXPIRES STARTED LAST EXPLICIT PROGRESS SEQ" (ns as 20 digits; SEQ
///               orders admissions), U+001E M → end of an administrator's tombstone (ns),
///               U+001D "seq" → the admission counter;
///   - `P t:UK`  sorted set: tombstones M, scored by their end (ms);
///   - `P users` sorted set: UK of every user with streams, scored by the user's earliest stream
///               expiry (ms) — the index read by snapshot() and, by score, expireStale() (no
///               KEYS); its own TTL follows the latest expiry of any user.
/// Streams are pruned by score inside the scripts (exact comparison in ns); a user's keys get
/// PEXPIRE = latest expiry − now, set from the latest expiry (never just refreshed), so keys of
/// clients that vanished die with their last stream even if no instance is left to prune them.
/// "now" is the service's Clock, passed to each script.
///
/// Redis is rebuildable state: restarted empty, every stream is admitted again (subject to the
/// limits) on its next heartbeat; tombstones of streams ended by an administrator are lost.
/// Unreachable: every call throws ApiError 1503 (see RedisClient), and works again once Redis
/// answers. Thread-safe (a pool of connections).
class RedisActiveStreams final : public ActiveStreams
{
public:
    /// `keyPrefix` separates deployments (or test fixtures) sharing one Redis database.
    /// Does not connect yet; see ping().
    explicit RedisActiveStreams(const RedisClient::Url &url, QByteArray keyPrefix = QByteArrayLiteral("oxm:"),
                                int timeoutMs = 500);

    /// Checks that Redis answers (PING) and loads the script. Throws ApiError 1503 if not.
    void ping();

    HeartbeatOutcome heartbeat(const StreamKey &key, bool explicitDevice, const StreamPolicy &policy,
                               qint64 progress, qint64 nowNs, qint64 expiresNs) override;
    bool stop(const StreamKey &key, qint64 nowNs, QList<StreamKey> *expired) override;
    bool endByAdmin(const StreamKey &key, qint64 nowNs, qint64 untilNs, QList<StreamKey> *expired) override;
    QList<ActiveStream> activeStreams(const QString &tenant, const QString &userId, qint64 nowNs) const override;
    QList<ActiveStream> snapshot(qint64 nowNs) const override;
    qsizetype activeCount(qint64 nowNs) const override;
    QList<StreamKey> expireStale(qint64 nowNs) override;
    QString description() const override;

    RedisClient &client() { return *m_client; }
    const QByteArray &keyPrefix() const { return m_prefix; }
    /// The Lua script every change runs (one script, dispatching on its first argument).
    static const QByteArray &script();

private:
    QList<QByteArray> userKeys(const QByteArray &uk) const;
    QList<QByteArray> baseArgs(const char *command, qint64 nowNs) const;
    RedisReply run(const char *command, const QByteArray &uk, qint64 nowNs, const QList<QByteArray> &more) const;

    std::unique_ptr<RedisClient> m_client;
    const QByteArray m_prefix;
};

} // namespace oxm
