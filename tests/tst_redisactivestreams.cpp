// RedisActiveStreams (issue 5) against a real Redis: the faults seen in the field and the key
// hygiene the issue names. The admission rules themselves are tst_streamregistry's, which runs
// unchanged on Redis when OXM_TEST_REDIS_URL is set.
//
// - EVALSHA → NOSCRIPT after the script cache is emptied: the script is loaded once, the call
//   succeeds.
// - Redis SIGKILLed (a redis-server of the test's own, killed by PID): calls throw ApiError 1503,
//   HTTP answers JSON 503/1503 for heartbeats, stops and counts; restarted empty: dead pooled
//   connections are replaced, streams are admitted again on their next heartbeat, subject to
//   the limits.
// - Streams are pruned by score inside the script (a refreshed neighbour does not keep a dead
//   stream alive), every key has a TTL from the latest expiry, and the sweep empties the index.
//
// Needs OXM_TEST_REDIS_URL (scripts/with-backends.sh) and the redis-server binary.

#include "testsupport.h"

#include "core/clock.h"
#include "domain/apierror.h"
#include "domain/streamregistry.h"
#include "oxmservice.h"
#include "streams/redisactivestreams.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <algorithm>
#include <memory>

#include <csignal>
#include <sys/types.h>

using namespace oxm;
using namespace oxm::test;

namespace {

constexpr qint64 S = 1000000000LL;
constexpr qint64 T0 = 1700000000LL * S;

quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

/// A redis-server of the test's own (no persistence), restartable on the same port, SIGKILLed by PID.
class OwnRedis
{
public:
    OwnRedis() : m_port(freePort()) {}
    ~OwnRedis() { killNine(); }
    QString url() const { return QStringLiteral("redis://127.0.0.1:%1").arg(m_port); }

    bool start()
    {
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        m_process->setStandardOutputFile(QProcess::nullDevice());
        m_process->start(QStandardPaths::findExecutable(QStringLiteral("redis-server")),
                         {QStringLiteral("--port"), QString::number(m_port), QStringLiteral("--bind"),
                          QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(),
                          QStringLiteral("--appendonly"), QStringLiteral("no"), QStringLiteral("--dir"), m_dir.path()});
        if (!m_process->waitForStarted(10000))
            return false;
        RedisClient client(RedisClient::Url::parse(url()), 500, 0);
        for (int i = 0; i < 200; ++i) {
            try {
                if (client.command({QByteArrayLiteral("PING")}).string == "PONG")
                    return true;
            } catch (const ApiError &) {
            }
            QThread::msleep(25);
        }
        return false;
    }
    bool killNine()
    {
        if (!m_process || m_process->state() == QProcess::NotRunning)
            return true;
        const qint64 pid = m_process->processId();
        if (pid <= 0 || ::kill(pid_t(pid), SIGKILL) != 0)
            return false;
        return m_process->waitForFinished(10000);
    }

private:
    QTemporaryDir m_dir;
    quint16 m_port;
    std::unique_ptr<QProcess> m_process;
};

int codeOf(const std::function<void()> &call)
{
    try {
        call();
    } catch (const ApiError &e) {
        return int(e.code());
    }
    return 0;
}

StreamKey key(const QString &asset, const QString &device, const QString &user = QStringLiteral("u1"))
{
    return StreamKey{QStringLiteral("t1"), user, asset, device};
}

long long integerOf(RedisClient &client, const QList<QByteArray> &command)
{
    return client.command(command).integer;
}

} // namespace

class RedisActiveStreamsTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (testRedisUrl().isEmpty())
            QSKIP(redisSkipMessage());
        if (QStandardPaths::findExecutable(QStringLiteral("redis-server")).isEmpty())
            QSKIP("needs the redis-server binary (Debian package redis-server; scripts/setup-debian.sh)");
    }
    void urls_data();
    void urls();
    void noscriptLoadsTheScriptOnce();
    void killedRedisIs1503AndRestartedRedisReadmitsWithinLimits();
    void httpDuringOutageIsJson503();
    void prunedByScoreAndKeysExpire();
    void snapshotOfTheWholeClusterIsOneRoundTrip();
};

void RedisActiveStreamsTest::urls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("normalised"); // empty: refused
    QTest::addRow("host and port") << "redis://127.0.0.1:6380" << "redis://127.0.0.1:6380/0";
    QTest::addRow("default port") << "redis://cache" << "redis://cache:6379/0";
    QTest::addRow("database") << "redis://cache:7000/3" << "redis://cache:7000/3";
    QTest::addRow("IPv6") << "redis://[::1]:7000/1" << "redis://[::1]:7000/1";
    QTest::addRow("other scheme") << "rediss://cache:6379" << "";
    QTest::addRow("no host") << "redis://:6379" << "";
    QTest::addRow("password") << "redis://:secret@cache:6379" << "";
    QTest::addRow("database not a number") << "redis://cache/x" << "";
    QTest::addRow("query") << "redis://cache/0?timeout=1" << "";
}

void RedisActiveStreamsTest::urls()
{
    QFETCH(QString, url);
    QFETCH(QString, normalised);
    QString got;
    try {
        got = RedisClient::Url::parse(url).toString();
    } catch (const std::invalid_argument &) {
    }
    QCOMPARE(got, normalised);
}

void RedisActiveStreamsTest::noscriptLoadsTheScriptOnce()
{
    ManualClock clock(T0);
    auto backend = std::make_unique<RedisActiveStreams>(RedisClient::Url::parse(testRedisUrl()), freshRedisKeyPrefix());
    RedisActiveStreams &redis = *backend;
    StreamRegistry registry(clock, 180, std::move(backend));
    QVERIFY(registry.heartbeat(key("a", "tv"), true, StreamPolicy{1, 0, 0}).admitted);

    RedisClient admin(RedisClient::Url::parse(testRedisUrl()));
    QCOMPARE(admin.command({"SCRIPT", "FLUSH"}).string, QByteArray("OK"));
    const quint64 loadsBefore = redis.client().scriptLoads();
    // The next call meets NOSCRIPT, loads the script and succeeds: a refresh, not a new admission.
    QVERIFY(!registry.heartbeat(key("a", "tv"), true, StreamPolicy{1, 0, 0}).admitted);
    QCOMPARE(redis.client().scriptLoads(), loadsBefore + 1);
    QCOMPARE(codeOf([&] { registry.heartbeat(key("b", "phone"), true, StreamPolicy{1, 0, 0}); }), 1050);
    QCOMPARE(redis.client().scriptLoads(), loadsBefore + 1);
}

void RedisActiveStreamsTest::killedRedisIs1503AndRestartedRedisReadmitsWithinLimits()
{
    OwnRedis server;
    QVERIFY(server.start());
    ManualClock clock(T0);
    auto backend = std::make_unique<RedisActiveStreams>(RedisClient::Url::parse(server.url()), "oxm:");
    RedisActiveStreams &redis = *backend;
    StreamRegistry registry(clock, 180, std::move(backend));
    const StreamPolicy two{2, 0, 0};
    QVERIFY(registry.heartbeat(key("a", "tv"), true, two).admitted);
    QVERIFY(registry.heartbeat(key("b", "phone"), true, two).admitted);
    QCOMPARE(registry.activeCount(), 2);
    const quint64 connections = redis.client().connectionsOpened();

    QVERIFY(server.killNine());
    // Unreachable: every call is 1503, nothing is admitted without a decision.
    QCOMPARE(codeOf([&] { registry.heartbeat(key("c", "laptop"), true, two); }), 1503);
    QCOMPARE(codeOf([&] { registry.stop(key("a", "tv")); }), 1503);
    QCOMPARE(codeOf([&] { registry.activeStreams("t1", "u1"); }), 1503);
    QCOMPARE(codeOf([&] { registry.snapshot(); }), 1503);
    QCOMPARE(codeOf([&] { registry.expireStale(); }), 1503);
    QCOMPARE(registry.counters().admitted, quint64(2));

    // Restarted empty (no persistence). The pooled connection is dead: it is replaced and the
    // script (not in the new server's cache) loaded again. A stream the empty Redis does not
    // know is a new admission, subject to the limits: c first takes one of the two places,
    // a re-registers in the second, b is refused.
    QVERIFY(server.start());
    QThread::msleep(250); // past the reconnect back-off
    clock.advanceSeconds(10);
    QVERIFY(registry.heartbeat(key("c", "laptop"), true, two).admitted);
    QVERIFY(redis.client().connectionsOpened() > connections);
    QVERIFY(registry.heartbeat(key("a", "tv"), true, two).admitted);
    QCOMPARE(codeOf([&] { registry.heartbeat(key("b", "phone"), true, two); }), 1050);
    QCOMPARE(registry.activeCount(), 2);
}

void RedisActiveStreamsTest::httpDuringOutageIsJson503()
{
    OwnRedis server;
    QVERIFY(server.start());
    ServiceFixture f([&](ServiceConfig &config) {
        config.redisUrl = server.url();
        config.redisKeyPrefix = freshRedisKeyPrefix();
    });
    const QByteArray token = f.token(QStringLiteral("t1"), QStringLiteral("u1"));
    QCOMPARE(f.send("PUT", "/oxm/v1/streams/a/streaming?device=tv&progress=5", token).status, 204);

    QVERIFY(server.killNine());
    for (const auto &[method, target] : {std::pair<QByteArray, QByteArray>{"PUT", "/oxm/v1/streams/a/streaming?device=tv"},
                                         {"PUT", "/oxm/v1/streams/b/streaming?device=phone&progress=9"},
                                         {"PUT", "/oxm/v1/streams/a/stopped?device=tv"},
                                         {"GET", "/oxm/v1/streams/counts"}}) {
        const Reply r = f.send(method, target, token);
        QCOMPARE(r.status, 503);
        QCOMPARE(r.errorCode(), 1503);
        QVERIFY(r.header("Content-Type").startsWith("application/json"));
        QVERIFY(!r.object().value(QStringLiteral("requestID")).toString().isEmpty());
    }
    // /metrics counts active streams cluster-wide: it cannot, and says so.
    const Reply metrics = f.send("GET", "/metrics");
    QCOMPARE(metrics.status, 503);
    QCOMPARE(metrics.errorCode(), 1503);
    QCOMPARE(f.send("GET", "/healthz").status, 200);
    // What does not need Redis goes on: the resume point written before the outage.
    const Reply point = f.send("GET", "/oxm/v1/streams/a", token);
    QCOMPARE(point.status, 200);
    QCOMPARE(point.object().value(QStringLiteral("progress")).toInt(), 5);
    // The refused heartbeat with progress 9 wrote nothing.
    QCOMPARE(f.send("GET", "/oxm/v1/streams/b", token).status, 404);

    QVERIFY(server.start());
    QThread::msleep(250);
    QCOMPARE(f.send("PUT", "/oxm/v1/streams/a/streaming?device=tv", token).status, 204);
    QCOMPARE(f.send("GET", "/oxm/v1/streams/counts", token).object(), QJsonObject({{QStringLiteral("a"), 1}}));
}

void RedisActiveStreamsTest::prunedByScoreAndKeysExpire()
{
    ManualClock clock(T0);
    const QByteArray prefix = freshRedisKeyPrefix();
    StreamRegistry registry(clock, 180,
                            std::make_unique<RedisActiveStreams>(RedisClient::Url::parse(testRedisUrl()), prefix));
    RedisClient admin(RedisClient::Url::parse(testRedisUrl()));
    const QByteArray uk = QByteArrayLiteral("t1\x1fu1");
    const QByteArray s = prefix + "s:" + uk, h = prefix + "h:" + uk, users = prefix + "users";

    QVERIFY(registry.heartbeat(key("x", "old"), true, {}).admitted);   // expires T0 + 180 s
    clock.setNowNs(T0 + 100 * S);
    QVERIFY(registry.heartbeat(key("y", "tv"), true, {}).admitted);    // expires T0 + 280 s
    QCOMPARE(integerOf(admin, {"ZCARD", s}), 2LL);
    // Every key lives until the latest expiry (180 s from now, + 1 ms for the ms rounding).
    for (const QByteArray &k : {s, h, users}) {
        const long long ttl = integerOf(admin, {"PTTL", k});
        QVERIFY2(ttl > 179000 && ttl <= 180001, qPrintable(QStringLiteral("%1: PTTL %2").arg(QString::fromUtf8(k)).arg(ttl)));
    }

    // y keeps beating; x (a client that died) is pruned by score inside the script, although
    // the keys are written again and again.
    QSignalSpy expired(&registry, &StreamRegistry::streamExpired);
    clock.setNowNs(T0 + 181 * S);
    QVERIFY(!registry.heartbeat(key("y", "tv"), true, {}).admitted);
    QCOMPARE(expired.count(), 1);
    QCOMPARE(integerOf(admin, {"ZCARD", s}), 1LL);
    QCOMPARE(integerOf(admin, {"HEXISTS", h, "x\x1fold"}), 0LL);
    const long long ttl = integerOf(admin, {"PTTL", s});
    QVERIFY2(ttl > 179000 && ttl <= 180001, qPrintable(QString::number(ttl)));

    // Past y's expiry the sweep removes it and the user from the index; the user's keys are gone.
    clock.setNowNs(T0 + 1000 * S);
    QCOMPARE(registry.expireStale(), 1);
    QCOMPARE(integerOf(admin, {"EXISTS", s, h, prefix + "t:" + uk}), 0LL);
    QCOMPARE(integerOf(admin, {"ZCARD", users}), 0LL);
}

void RedisActiveStreamsTest::snapshotOfTheWholeClusterIsOneRoundTrip()
{
    // The admin app's live screen calls snapshot() on the GUI thread once a second: with Redis
    // it is one read-only script over the index. 1,000 streams (100 users x 10), written by two
    // "instances" (two backends on one prefix), all seen by each; the time is reported.
    ManualClock clock(T0);
    const QByteArray prefix = freshRedisKeyPrefix();
    StreamRegistry one(clock, 180, std::make_unique<RedisActiveStreams>(RedisClient::Url::parse(testRedisUrl()), prefix));
    StreamRegistry two(clock, 180, std::make_unique<RedisActiveStreams>(RedisClient::Url::parse(testRedisUrl()), prefix));
    for (int u = 0; u < 100; ++u)
        for (int a = 0; a < 10; ++a)
            QVERIFY((u % 2 ? one : two).heartbeat(key(QStringLiteral("a%1").arg(a), QStringLiteral("d%1").arg(a),
                                                      QStringLiteral("u%1").arg(u)), true, {}).admitted);
    QCOMPARE(one.snapshot().size(), 1000);
    QCOMPARE(two.activeCount(), 1000);
    QList<qint64> micros;
    for (int i = 0; i < 21; ++i) {
        QElapsedTimer timer;
        timer.start();
        const QList<ActiveStream> all = one.snapshot();
        micros.append(timer.nsecsElapsed() / 1000);
        QCOMPARE(all.size(), 1000);
    }
    std::sort(micros.begin(), micros.end());
    qInfo("snapshot() of 1,000 streams from Redis: median %lld us, max %lld us (21 calls)", micros.at(10), micros.last());
    clock.setNowNs(T0 + 180 * S);
    QCOMPARE(one.snapshot().size(), 0);
    QCOMPARE(two.expireStale(), 1000);
}

QTEST_GUILESS_MAIN(RedisActiveStreamsTest)
#include "tst_redisactivestreams.moc"
