#include "redisclient.h"

#include "domain/apierror.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QLoggingCategory>
#include <QUrl>
#include <hiredis/hiredis.h>
#include <stdexcept>
#include <sys/time.h>

Q_LOGGING_CATEGORY(lcRedis, "oxm.redis")

namespace oxm {

namespace {

constexpr std::size_t MaxIdleConnections = 16;

qint64 steadyMs()
{
    return QDeadlineTimer::current().deadline();
}

timeval toTimeval(int ms)
{
    timeval tv;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

RedisReply convert(const redisReply *r)
{
    RedisReply out;
    switch (r->type) {
    case REDIS_REPLY_STRING:
        out.type = RedisReply::Type::String;
        out.string = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_STATUS:
        out.type = RedisReply::Type::Status;
        out.string = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_ERROR:
        out.type = RedisReply::Type::Error;
        out.string = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_INTEGER:
        out.type = RedisReply::Type::Integer;
        out.integer = r->integer;
        break;
    case REDIS_REPLY_ARRAY:
        out.type = RedisReply::Type::Array;
        out.elements.reserve(qsizetype(r->elements));
        for (size_t i = 0; i < r->elements; ++i)
            out.elements.append(convert(r->element[i]));
        break;
    default:
        out.type = RedisReply::Type::Nil;
        break;
    }
    return out;
}

/// Error replies after which the server may answer differently soon (loading, a long script,
/// a replica after failover, out of memory, persistence failing).
bool isTransientError(const QByteArray &message)
{
    static const char *const prefixes[] = {"LOADING", "BUSY", "READONLY", "MASTERDOWN", "TRYAGAIN",
                                           "OOM", "MISCONF", "CLUSTERDOWN"};
    for (const char *p : prefixes)
        if (message.startsWith(p))
            return true;
    return false;
}

} // namespace

RedisClient::Url RedisClient::Url::parse(const QString &text)
{
    const QUrl url(text, QUrl::StrictMode);
    const auto bad = [&](const char *why) {
        return std::invalid_argument(QStringLiteral("invalid Redis URL \"%1\": %2 (expected redis://HOST[:PORT][/DB])")
                                         .arg(text, QLatin1String(why))
                                         .toStdString());
    };
    if (!url.isValid() || url.scheme() != QLatin1String("redis"))
        throw bad("not a redis:// URL");
    if (url.host().isEmpty())
        throw bad("no host");
    if (!url.userInfo().isEmpty())
        throw bad("user and password are not supported");
    if (url.hasQuery() || url.hasFragment())
        throw bad("a query or fragment is not supported");
    Url out;
    out.host = url.host();
    out.port = url.port(6379);
    if (out.port <= 0 || out.port > 65535)
        throw bad("port out of range");
    QString path = url.path();
    if (path.startsWith(u'/'))
        path.remove(0, 1);
    if (!path.isEmpty()) {
        bool ok = false;
        out.db = path.toInt(&ok);
        if (!ok || out.db < 0 || path.startsWith(u'+'))
            throw bad("the path must be a database number");
    }
    return out;
}

QString RedisClient::Url::toString() const
{
    const QString h = host.contains(u':') ? u'[' + host + u']' : host;
    return QStringLiteral("redis://%1:%2/%3").arg(h).arg(port).arg(db);
}

RedisClient::RedisClient(Url url, int timeoutMs, int backoffMs)
    : m_url(std::move(url))
    , m_timeoutMs(timeoutMs)
    , m_backoffMs(backoffMs)
{
}

RedisClient::~RedisClient()
{
    dropIdle();
}

void RedisClient::dropIdle()
{
    std::vector<redisContext *> idle;
    {
        QMutexLocker locker(&m_mutex);
        idle.swap(m_idle);
    }
    for (redisContext *c : idle)
        redisFree(c);
}

void RedisClient::unavailable(const QString &detail)
{
    if (!m_down.exchange(true))
        qCWarning(lcRedis).noquote() << "Redis" << m_url.toString() << "unavailable:" << detail;
    throw ApiError(ErrorCode::Unavailable,
                   QStringLiteral("The active-stream state is temporarily unavailable; retry later"));
}

void RedisClient::markUp()
{
    if (m_down.exchange(false))
        qCInfo(lcRedis).noquote() << "Redis" << m_url.toString() << "reachable again";
}

redisContext *RedisClient::connect()
{
    {
        QMutexLocker locker(&m_mutex);
        if (steadyMs() < m_retryConnectAt)
            unavailable(QStringLiteral("waiting before reconnecting"));
    }
    const QByteArray host = m_url.host.toUtf8();
    redisContext *c = redisConnectWithTimeout(host.constData(), m_url.port, toTimeval(m_timeoutMs));
    QString error;
    if (!c)
        error = QStringLiteral("cannot allocate a connection");
    else if (c->err)
        error = QString::fromUtf8(c->errstr);
    if (error.isEmpty()) {
        redisSetTimeout(c, toTimeval(m_timeoutMs));
        redisEnableKeepAlive(c);
        if (m_url.db != 0) {
            auto *r = static_cast<redisReply *>(redisCommand(c, "SELECT %d", m_url.db));
            if (!r)
                error = QString::fromUtf8(c->errstr);
            else if (r->type == REDIS_REPLY_ERROR)
                error = QString::fromUtf8(r->str, int(r->len));
            if (r)
                freeReplyObject(r);
        }
    }
    if (!error.isEmpty()) {
        if (c)
            redisFree(c);
        {
            QMutexLocker locker(&m_mutex);
            m_retryConnectAt = steadyMs() + m_backoffMs;
        }
        unavailable(error);
    }
    m_connectionsOpened.fetch_add(1, std::memory_order_relaxed);
    return c;
}

redisContext *RedisClient::acquire(bool *reused)
{
    {
        QMutexLocker locker(&m_mutex);
        if (!m_idle.empty()) {
            redisContext *c = m_idle.back();
            m_idle.pop_back();
            *reused = true;
            return c;
        }
    }
    *reused = false;
    return connect();
}

void RedisClient::release(redisContext *context, bool healthy)
{
    if (healthy) {
        QMutexLocker locker(&m_mutex);
        if (m_idle.size() < MaxIdleConnections) {
            m_idle.push_back(context);
            return;
        }
    }
    redisFree(context);
}

RedisReply RedisClient::command(const QList<QByteArray> &args)
{
    std::vector<const char *> argv;
    std::vector<size_t> argvlen;
    argv.reserve(size_t(args.size()));
    argvlen.reserve(size_t(args.size()));
    for (const QByteArray &a : args) {
        argv.push_back(a.constData());
        argvlen.push_back(size_t(a.size()));
    }
    for (int attempt = 0;; ++attempt) {
        bool reused = false;
        redisContext *c = acquire(&reused);
        auto *r = static_cast<redisReply *>(redisCommandArgv(c, int(argv.size()), argv.data(), argvlen.data()));
        if (!r) {
            // The connection is unusable from now on (hiredis): free it, and the idle ones with
            // it — after a server restart they are all dead. A reused connection may simply
            // have been closed by a restart: retry once on a new one.
            const QString error = QString::fromUtf8(c->errstr);
            release(c, false);
            dropIdle();
            if (reused && attempt == 0)
                continue;
            unavailable(error);
        }
        RedisReply reply = convert(r);
        freeReplyObject(r);
        if (reply.isError() && isTransientError(reply.string)) {
            // A replica promoted or demoted, a server still loading: take a new connection next time.
            release(c, false);
            dropIdle();
            unavailable(QString::fromUtf8(reply.string));
        }
        release(c, true);
        markUp();
        return reply;
    }
}

RedisReply RedisClient::evalScript(const QByteArray &script, const QList<QByteArray> &keys,
                                   const QList<QByteArray> &args)
{
    const QByteArray sha = QCryptographicHash::hash(script, QCryptographicHash::Sha1).toHex();
    QList<QByteArray> call;
    call.reserve(3 + keys.size() + args.size());
    call << QByteArrayLiteral("EVALSHA") << sha << QByteArray::number(keys.size());
    call << keys << args;
    RedisReply reply = command(call);
    if (reply.isError() && reply.string.startsWith("NOSCRIPT")) {
        // The server's script cache is empty (restart, failover, SCRIPT FLUSH): load it, once.
        m_scriptLoads.fetch_add(1, std::memory_order_relaxed);
        const RedisReply loaded = command({QByteArrayLiteral("SCRIPT"), QByteArrayLiteral("LOAD"), script});
        if (loaded.isError())
            throw std::runtime_error("Redis SCRIPT LOAD failed: " + loaded.string.toStdString());
        reply = command(call);
    }
    if (reply.isError())
        throw std::runtime_error("Redis script failed: " + reply.string.toStdString());
    return reply;
}

} // namespace oxm
