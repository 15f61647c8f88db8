// Atomic admission (contract §5): "N concurrent first heartbeats against a limit of L admit
// exactly min(N, L)". Real threads, each with its own QNetworkAccessManager, released together
// by a barrier against an in-process service on a loopback port; plus the StreamRegistry driven
// directly from many threads.

#include "testsupport.h"

#include "auth/tokenverifier.h"
#include "core/clock.h"
#include "domain/policyservice.h"
#include "domain/streamregistry.h"
#include "oxmservice.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <atomic>
#include <barrier>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

using namespace oxm;
using namespace oxm::test;

namespace {

constexpr int Threads = 64;
constexpr int Rounds = 20;

/// One response as seen by a racing client.
struct Outcome
{
    int status = 0;
    int errorCode = -1;
    int limit = -1;
    int active = -1;
};

/// Sends one request from the calling thread (testsupport's request(): a manager per thread).
Outcome send(quint16 port, const QByteArray &method, const QByteArray &target, const QByteArray &token)
{
    const Reply reply = request(port, method, target, token, {}, {}, 20000);
    const QJsonObject o = reply.object();
    return Outcome{reply.status, o.value(QStringLiteral("errorCode")).toInt(-1),
                   o.value(QStringLiteral("limit")).toInt(-1), o.value(QStringLiteral("active")).toInt(-1)};
}

/// An OxmService with more HTTP threads than ServiceFixture's two, so that admissions really
/// run in parallel on the server side too.
class RaceService
{
public:
    explicit RaceService(int httpThreads = 8)
    {
        ServiceConfig config;
        config.port = 0;
        config.databasePath = m_dir.filePath(QStringLiteral("race.sqlite"));
        config.jwtSecret = testSecret();
        config.httpThreads = httpThreads;
        useTestRedis(config); // OXM_TEST_REDIS_URL: admission by RedisActiveStreams
        m_service = std::make_unique<OxmService>(config, &m_clock);
        m_service->open();
        m_port = m_service->startListening();
    }
    OxmService &service() { return *m_service; }
    quint16 port() const { return m_port; }
    QByteArray token(const QString &tenant, const QString &user, Principal::Role role = Principal::Role::Subscriber) const
    {
        return TokenIssuer(testSecret(), m_clock).issue(tenant, user, role, {}, 3600);
    }

private:
    QTemporaryDir m_dir;
    ManualClock m_clock;
    std::unique_ptr<OxmService> m_service;
    quint16 m_port = 0;
};

/// What each racing thread sends in a round: (target, token).
using TargetFn = std::function<QByteArray(int round, int thread)>;
using TokenFn = std::function<QByteArray(int round, int thread)>;

/// Runs `threads` QThreads, each with its own QNetworkAccessManager created inside it; every
/// round, all of them pass a barrier and send their heartbeat at once. Returns outcomes[round][thread].
std::vector<std::vector<Outcome>> race(quint16 port, int threads, int rounds, const TargetFn &target, const TokenFn &token)
{
    std::vector<std::vector<Outcome>> outcomes(rounds, std::vector<Outcome>(threads));
    std::barrier sync(threads);
    std::vector<std::unique_ptr<QThread>> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back(QThread::create([&, t] {
            // Warm up: open the connection before the race so the race is about admission.
            send(port, "GET", "/healthz", {}); // opens this thread's connection
            for (int r = 0; r < rounds; ++r) {
                const QByteArray tgt = target(r, t);
                const QByteArray tok = token(r, t);
                sync.arrive_and_wait();
                outcomes[r][t] = send(port, "PUT", tgt, tok);
            }
        }));
        workers.back()->start();
    }
    for (auto &w : workers)
        w->wait();
    return outcomes;
}

QString describe(const std::vector<Outcome> &round)
{
    QMap<QString, int> histogram;
    for (const Outcome &o : round)
        ++histogram[QStringLiteral("%1/%2/limit=%3/active=%4").arg(o.status).arg(o.errorCode).arg(o.limit).arg(o.active)];
    QStringList parts;
    for (auto it = histogram.cbegin(); it != histogram.cend(); ++it)
        parts.append(QStringLiteral("%1×%2").arg(it.value()).arg(it.key()));
    return parts.join(QStringLiteral(", "));
}

} // namespace

class AdmissionRaceTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void limitRace_data();
    void limitRace();
    void sameStreamRaceAdmitsOnce();
    void nextEpisodeRaceLeavesOneStream();
    void registryDirectExactLimit();
    void registryDirectChurn();
};

void AdmissionRaceTest::limitRace_data()
{
    QTest::addColumn<int>("perUser");
    QTest::addColumn<int>("perAsset");
    QTest::addColumn<int>("devices");
    QTest::addColumn<bool>("sameAsset"); // all threads heartbeat one asset (else one asset each)
    QTest::addColumn<int>("limit");
    QTest::addColumn<int>("code");
    QTest::addRow("maxPerUser 3") << 3 << 0 << 0 << false << 3 << 1050;
    QTest::addRow("maxPerUser 1") << 1 << 0 << 0 << false << 1 << 1050;
    QTest::addRow("maxDevices 2") << 0 << 0 << 2 << false << 2 << 1052;
    QTest::addRow("maxPerAsset 2") << 0 << 2 << 0 << true << 2 << 1051;
}

void AdmissionRaceTest::limitRace()
{
    QFETCH(int, perUser);
    QFETCH(int, perAsset);
    QFETCH(int, devices);
    QFETCH(bool, sameAsset);
    QFETCH(int, limit);
    QFETCH(int, code);

    RaceService s;
    const Reply put = request(s.port(), "PUT", "/oxm/v1/streampolicy/race", s.token(QStringLiteral("race"), QStringLiteral("admin"), Principal::Role::Admin),
                              QJsonDocument(QJsonObject{{QStringLiteral("maxPerUser"), perUser},
                                                        {QStringLiteral("maxPerAsset"), perAsset},
                                                        {QStringLiteral("maxDevices"), devices}}).toJson(QJsonDocument::Compact));
    QCOMPARE(put.status, 200);

    // A fresh user per round; each thread its own device (and asset unless sameAsset).
    std::vector<QByteArray> tokens;
    for (int r = 0; r < Rounds; ++r)
        tokens.push_back(s.token(QStringLiteral("race"), QStringLiteral("user-%1").arg(r)));
    QElapsedTimer timer;
    timer.start();
    const auto outcomes = race(
        s.port(), Threads, Rounds,
        [&](int, int t) {
            const QByteArray asset = sameAsset ? QByteArrayLiteral("shared") : "asset-" + QByteArray::number(t);
            return "/oxm/v1/streams/" + asset + "/streaming?device=dev-" + QByteArray::number(t);
        },
        [&](int r, int) { return tokens[r]; });
    qInfo("%d rounds × %d threads in %lld ms", Rounds, Threads, timer.elapsed());

    for (int r = 0; r < Rounds; ++r) {
        int admitted = 0, refused = 0;
        for (const Outcome &o : outcomes[r]) {
            if (o.status == 204) {
                ++admitted;
            } else if (o.status == 409 && o.errorCode == code && o.limit == limit && o.active == limit) {
                ++refused;
            }
        }
        QVERIFY2(admitted == limit && refused == Threads - limit,
                 qPrintable(QStringLiteral("round %1: expected %2×204 and %3×409/%4 (limit=active=%2), got %5")
                                .arg(r).arg(limit).arg(Threads - limit).arg(code).arg(describe(outcomes[r]))));
        const auto active = s.service().streams().activeStreams(QStringLiteral("race"), QStringLiteral("user-%1").arg(r));
        QCOMPARE(active.size(), qsizetype(limit));
        const Reply counts = request(s.port(), "GET", "/oxm/v1/streams/counts", tokens[r]);
        int total = 0;
        for (const QJsonValue &v : counts.object())
            total += v.toInt();
        QCOMPARE(total, limit);
    }
}

void AdmissionRaceTest::sameStreamRaceAdmitsOnce()
{
    // Every thread heartbeats the same stream (asset, device) first: one admission, the rest
    // refreshes of it — never a duplicate stream, never a refusal (limit 1 everywhere).
    RaceService s;
    QCOMPARE(request(s.port(), "PUT", "/oxm/v1/streampolicy/race", s.token(QStringLiteral("race"), QStringLiteral("admin"), Principal::Role::Admin),
                     R"({"maxPerUser":1,"maxPerAsset":1,"maxDevices":1})").status, 200);
    std::vector<QByteArray> tokens;
    for (int r = 0; r < Rounds; ++r)
        tokens.push_back(s.token(QStringLiteral("race"), QStringLiteral("same-%1").arg(r)));
    const auto counters0 = s.service().streams().counters();
    const auto outcomes = race(
        s.port(), Threads, Rounds, [](int, int) { return QByteArrayLiteral("/oxm/v1/streams/one/streaming?device=tv"); },
        [&](int r, int) { return tokens[r]; });
    for (int r = 0; r < Rounds; ++r) {
        int ok = 0;
        for (const Outcome &o : outcomes[r])
            ok += o.status == 204 ? 1 : 0;
        QVERIFY2(ok == Threads, qPrintable(QStringLiteral("round %1: %2").arg(r).arg(describe(outcomes[r]))));
        QCOMPARE(s.service().streams().activeStreams(QStringLiteral("race"), QStringLiteral("same-%1").arg(r)).size(), 1);
    }
    const auto counters1 = s.service().streams().counters();
    QCOMPARE(counters1.admitted - counters0.admitted, quint64(Rounds));
    QCOMPARE(counters1.refreshed - counters0.refreshed, quint64(Rounds * (Threads - 1)));
}

void AdmissionRaceTest::nextEpisodeRaceLeavesOneStream()
{
    // One explicitly identified device, many assets at once: each admission replaces the
    // device's other stream, so with maxPerUser 1 all are admitted and one stream remains.
    RaceService s;
    QCOMPARE(request(s.port(), "PUT", "/oxm/v1/streampolicy/race", s.token(QStringLiteral("race"), QStringLiteral("admin"), Principal::Role::Admin),
                     R"({"maxPerUser":1,"maxPerAsset":1,"maxDevices":1})").status, 200);
    constexpr int N = 16;
    std::vector<QByteArray> tokens;
    for (int r = 0; r < Rounds; ++r)
        tokens.push_back(s.token(QStringLiteral("race"), QStringLiteral("episodes-%1").arg(r)));
    const auto outcomes = race(
        s.port(), N, Rounds,
        [](int, int t) { return "/oxm/v1/streams/episode-" + QByteArray::number(t) + "/streaming?device=tv"; },
        [&](int r, int) { return tokens[r]; });
    for (int r = 0; r < Rounds; ++r) {
        int ok = 0;
        for (const Outcome &o : outcomes[r])
            ok += o.status == 204 ? 1 : 0;
        QVERIFY2(ok == N, qPrintable(QStringLiteral("round %1: %2").arg(r).arg(describe(outcomes[r]))));
        const auto active = s.service().streams().activeStreams(QStringLiteral("race"), QStringLiteral("episodes-%1").arg(r));
        QCOMPARE(active.size(), 1);
        QCOMPARE(active.first().key.device, QStringLiteral("tv"));
    }
}

void AdmissionRaceTest::registryDirectExactLimit()
{
    // 16 threads × 200 first heartbeats, all of one user, all distinct streams, maxPerUser 37:
    // exactly 37 admitted in all, the rest refused with 1050 reporting active = 37.
    ManualClock clock;
    StreamRegistry registry(clock, 180, testActiveStreams());
    constexpr int T = 16, K = 200, L = 37;
    const StreamPolicy policy{L, 0, 0};
    std::atomic<int> admitted{0}, refused{0}, wrong{0};
    std::latch start(T);
    std::vector<std::thread> threads;
    for (int t = 0; t < T; ++t) {
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            for (int i = 0; i < K; ++i) {
                const StreamKey key{QStringLiteral("t"), QStringLiteral("u"), QStringLiteral("a%1-%2").arg(t).arg(i),
                                    QStringLiteral("d%1-%2").arg(t).arg(i)};
                try {
                    if (registry.heartbeat(key, true, policy).admitted)
                        ++admitted;
                    else
                        ++wrong; // a first heartbeat can never be a refresh
                } catch (const ApiError &e) {
                    if (e.code() == ErrorCode::MaxPerUser && e.extra().value(QStringLiteral("active")).toInt() == L
                        && e.extra().value(QStringLiteral("limit")).toInt() == L)
                        ++refused;
                    else
                        ++wrong;
                }
            }
        });
    }
    for (auto &th : threads)
        th.join();
    QCOMPARE(wrong.load(), 0);
    QCOMPARE(admitted.load(), L);
    QCOMPARE(refused.load(), T * K - L);
    QCOMPARE(registry.activeStreams(QStringLiteral("t"), QStringLiteral("u")).size(), qsizetype(L));
    QCOMPARE(registry.activeCount(), qsizetype(L));
    const auto c = registry.counters();
    QCOMPARE(c.admitted, quint64(L));
    QCOMPARE(c.refusedMaxPerUser, quint64(T * K - L));
}

void AdmissionRaceTest::registryDirectChurn()
{
    // 16 threads of one user (maxPerUser 5, maxDevices 4) admit, hold and stop streams.
    // Phase 0: every thread makes one first heartbeat (same IP-identified device) and holds it
    // until all have tried: exactly 5 admitted, 11 refused. Churn: each thread keeps up to 3
    // streams, stopping its oldest when it has more or when it is refused. An observer checks
    // the limits all along; the books must balance at the end.
    ManualClock clock;
    StreamRegistry registry(clock, 180, testActiveStreams());
    constexpr int T = 16, K = 1500, L = 5, D = 4;
    const StreamPolicy policy{L, 0, D};
    std::atomic<int> admitted{0}, refused{0}, phase0Admitted{0}, phase0Refused{0}, stopsOk{0}, wrong{0}, overLimit{0};
    std::atomic<bool> running{true};
    std::latch start(T + 1);
    std::barrier phase0(T);
    std::vector<std::thread> threads;
    for (int t = 0; t < T; ++t) {
        threads.emplace_back([&, t] {
            QList<StreamKey> held;
            const auto stopOldest = [&] {
                if (held.isEmpty())
                    return;
                const StreamKey key = held.takeFirst();
                if (registry.stop(key))
                    ++stopsOk;
                else
                    ++wrong;
                if (registry.stop(key)) // idempotent: a second stop finds nothing
                    ++wrong;
            };
            const auto attempt = [&](const StreamKey &key) {
                try {
                    // IP-identified (explicitDevice=false): no next-episode replacement.
                    if (registry.heartbeat(key, false, policy).admitted) {
                        ++admitted;
                        held.append(key);
                        return true;
                    }
                    ++wrong; // every key is new: never a refresh
                } catch (const ApiError &e) {
                    const int active = e.extra().value(QStringLiteral("active")).toInt();
                    if ((e.code() == ErrorCode::MaxPerUser && active == L) || (e.code() == ErrorCode::MaxDevices && active == D))
                        ++refused;
                    else
                        ++wrong;
                }
                return false;
            };
            start.arrive_and_wait();
            if (attempt(StreamKey{QStringLiteral("t"), QStringLiteral("u"), QStringLiteral("p0-%1").arg(t), QStringLiteral("ip")}))
                ++phase0Admitted;
            else
                ++phase0Refused;
            phase0.arrive_and_wait();
            for (int i = 1; i < K; ++i) {
                // Devices cycle through 6 names so that maxDevices (4) refuses too.
                const StreamKey key{QStringLiteral("t"), QStringLiteral("u"), QStringLiteral("a%1-%2").arg(t).arg(i),
                                    QStringLiteral("dev%1").arg((t + i) % 6)};
                if (!attempt(key) || held.size() > 3)
                    stopOldest();
            }
            while (!held.isEmpty())
                stopOldest();
        });
    }
    std::thread observer([&] {
        start.arrive_and_wait();
        while (running.load()) {
            const auto active = registry.activeStreams(QStringLiteral("t"), QStringLiteral("u"));
            QSet<QString> devices;
            for (const ActiveStream &s : active)
                devices.insert(s.key.device);
            if (active.size() > L || devices.size() > D)
                ++overLimit;
        }
    });
    for (auto &th : threads)
        th.join();
    running = false;
    observer.join();

    QCOMPARE(wrong.load(), 0);
    QCOMPARE(overLimit.load(), 0);
    QCOMPARE(phase0Admitted.load(), L);
    QCOMPARE(phase0Refused.load(), T - L);
    QCOMPARE(admitted.load() + refused.load(), T * K);
    QCOMPARE(stopsOk.load(), admitted.load());
    QVERIFY(admitted.load() > T); // churn made progress
    QCOMPARE(registry.activeCount(), qsizetype(0));
    const auto c = registry.counters();
    QCOMPARE(c.admitted, quint64(admitted.load()));
    QCOMPARE(c.stopped, quint64(stopsOk.load()));
    QCOMPARE(c.refusedMaxPerUser + c.refusedMaxDevices, quint64(refused.load()));
    qInfo("churn: %d admitted, %d refused (1050: %llu, 1052: %llu)", admitted.load(), refused.load(),
          c.refusedMaxPerUser, c.refusedMaxDevices);
}

QTEST_GUILESS_MAIN(AdmissionRaceTest)
#include "tst_admissionrace.moc"
