#pragma once

#include <QByteArray>
#include <QList>
#include <QMutex>
#include <QString>
#include <atomic>
#include <vector>

struct redisContext;

namespace oxm {

/// One Redis reply, copied out of hiredis's redisReply tree.
struct RedisReply
{
    enum class Type { Nil, String, Integer, Array, Status, Error };
    Type type = Type::Nil;
    QByteArray string;          ///< String, Status, Error
    long long integer = 0;      ///< Integer
    QList<RedisReply> elements; ///< Array

    bool isError() const { return type == Type::Error; }
};

/// A thread-safe Redis client over hiredis (Debian's libhiredis-dev): a small pool of blocking
/// connections, each used by one thread at a time. Every connect and command has a time-out.
///
/// Faults it handles (issue 5): a connection that failed (reset, time-out, server restarted) is
/// never reused — it is freed, the idle ones are dropped too, and a command that failed on a
/// reused connection is retried once on a new one; a script missing from the server's cache
/// (EVALSHA → NOSCRIPT, after a restart or failover) is loaded once and the call retried.
/// After a failed connect, new connects are attempted again only after `backoffMs`, so a dead
/// server costs callers no waiting in between.
///
/// Errors: Redis unreachable, a time-out, or a transient error reply (LOADING, BUSY, READONLY,
/// MASTERDOWN, TRYAGAIN, OOM, MISCONF) throw ApiError 1503 (503; docs/api.md). Other error
/// replies are returned by command() and thrown as std::runtime_error (500) by evalScript().
class RedisClient
{
    Q_DISABLE_COPY_MOVE(RedisClient)

public:
    /// A parsed `redis://host[:port][/db]` URL (port 6379 and db 0 by default).
    struct Url
    {
        QString host;
        int port = 6379;
        int db = 0;

        /// Throws std::invalid_argument with a message for the user on anything else (other
        /// schemes, user info, a path that is not a database number, a query).
        static Url parse(const QString &url);
        QString toString() const;
    };

    explicit RedisClient(Url url, int timeoutMs = 500, int backoffMs = 200);
    ~RedisClient();

    const Url &url() const { return m_url; }

    /// Runs one command (binary-safe arguments) and returns its reply (possibly an error reply,
    /// see the class comment).
    RedisReply command(const QList<QByteArray> &args);

    /// EVALSHA of `script` (its SHA-1 is computed once), loading it when the server answers
    /// NOSCRIPT, once per call.
    RedisReply evalScript(const QByteArray &script, const QList<QByteArray> &keys, const QList<QByteArray> &args);

    /// Connections opened since start (for tests: a lost connection is replaced, not reused).
    quint64 connectionsOpened() const { return m_connectionsOpened.load(); }
    /// Scripts loaded after a NOSCRIPT answer (for tests).
    quint64 scriptLoads() const { return m_scriptLoads.load(); }

private:
    redisContext *acquire(bool *reused);
    void release(redisContext *context, bool healthy);
    void dropIdle();
    redisContext *connect();
    [[noreturn]] void unavailable(const QString &detail);
    void markUp();

    const Url m_url;
    const int m_timeoutMs;
    const int m_backoffMs;
    QMutex m_mutex;
    std::vector<redisContext *> m_idle;
    qint64 m_retryConnectAt = 0; ///< steady ms; guarded by m_mutex
    std::atomic<bool> m_down{false};
    std::atomic<quint64> m_connectionsOpened{0};
    std::atomic<quint64> m_scriptLoads{0};
};

} // namespace oxm
