// Unit tests of StreamRegistry (domain/streamregistry.h; contract §5): admission rules, refusal
// bodies, expiry, next-episode replacement, streams ended by an administrator, and atomic
// admission under concurrency. Time is a ManualClock; nothing sleeps.
// With OXM_TEST_REDIS_URL set, every registry keeps its streams in that Redis (a fresh key prefix
// each; testsupport's testActiveStreams()), so the same assertions hold for RedisActiveStreams.
//
// Instants used below (computed by hand): T0 = 1,700,000,000 s = 2023-11-14T22:13:20Z
// (19675 days + 80000 s); the default stream timeout is 180 s.

#include "testsupport.h"

#include "core/clock.h"
#include "domain/apierror.h"
#include "domain/policyservice.h" // Q_DECLARE_METATYPE(StreamPolicy)
#include "domain/streamregistry.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>
#include <algorithm>
#include <atomic>
#include <barrier>
#include <memory>
#include <thread>
#include <vector>

using namespace oxm;
using oxm::test::testActiveStreams;

namespace oxm {
char *toString(const StreamKey &k)
{
    return qstrdup(QStringLiteral("(%1, %2, %3, %4)").arg(k.tenant, k.userId, k.assetId, k.device).toUtf8().constData());
}
} // namespace oxm

namespace {

constexpr qint64 S = 1000000000LL;
constexpr qint64 T0 = 1700000000LL * S;
constexpr int Timeout = 180;

StreamKey key(const QString &asset, const QString &device, const QString &user = QStringLiteral("u1"),
              const QString &tenant = QStringLiteral("t1"))
{
    return StreamKey{tenant, user, asset, device};
}

/// "asset@device" → key of user u1 in tenant t1.
StreamKey parseKey(const QString &spec)
{
    const QStringList parts = spec.split(u'@');
    return key(parts.value(0), parts.value(1));
}

QStringList specs(const QList<ActiveStream> &streams)
{
    QStringList out;
    for (const ActiveStream &s : streams)
        out.append(s.key.assetId + u'@' + s.key.device);
    out.sort();
    return out;
}

struct Outcome
{
    int code = 0; ///< 0: accepted (admitted or refreshed)
    bool admitted = false;
    QList<ActiveStream> replaced;
    QJsonObject extra;
    QList<QPair<QByteArray, QByteArray>> headers;

    QByteArray retryAfter() const
    {
        for (const auto &h : headers)
            if (h.first.compare("Retry-After", Qt::CaseInsensitive) == 0)
                return h.second;
        return {};
    }
};

Outcome beat(StreamRegistry &registry, const StreamKey &k, bool explicitDevice, const StreamPolicy &policy,
             qint64 progress = -1)
{
    Outcome o;
    try {
        const StreamRegistry::HeartbeatResult r = registry.heartbeat(k, explicitDevice, policy, progress);
        o.admitted = r.admitted;
        o.replaced = r.replaced;
    } catch (const ApiError &e) {
        o.code = int(e.code());
        o.extra = e.extra();
        o.headers = e.headers();
    }
    return o;
}

const StreamPolicy Unlimited{0, 0, 0};

} // namespace

class TestStreamRegistry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void admissionRules_data();
    void admissionRules();
    void refusalBody();
    void retryAfter_data();
    void retryAfter();
    void refreshDoesNotRecheckLimits();
    void refreshKeepsProgressUnlessGiven();
    void expiryBoundary_data();
    void expiryBoundary();
    void refreshMovesExpiry();
    void expireStale();
    void expireStaleStaggered();
    void everyExpiredStreamIsReportedOnce_data();
    void everyExpiredStreamIsReportedOnce();
    void nextEpisodeReplacement_data();
    void nextEpisodeReplacement();
    void noReplacementForIpDevices();
    void refusedHeartbeatChangesNothing_data();
    void refusedHeartbeatChangesNothing();
    void endByAdmin();
    void endByAdminOnlyBlocksThatStream();
    void stop();
    void isolationBetweenUsersAndTenants();
    void counters();
    void concurrentFirstHeartbeats_data();
    void concurrentFirstHeartbeats();
    void concurrentHeartbeatsOfOneStream();
};

// --- admission rules -----------------------------------------------------------------------

void TestStreamRegistry::admissionRules_data()
{
    QTest::addColumn<QStringList>("existing"); // "asset@device", admitted at T0 without limits
    QTest::addColumn<QString>("next");
    QTest::addColumn<int>("maxPerUser");
    QTest::addColumn<int>("maxPerAsset");
    QTest::addColumn<int>("maxDevices");
    QTest::addColumn<int>("code");
    QTest::addColumn<int>("limit");
    QTest::addColumn<int>("active");
    using L = QStringList;

    QTest::addRow("first stream, all limits 1") << L{} << "a@d1" << 1 << 1 << 1 << 0 << 0 << 0;
    QTest::addRow("all zero: nothing enforced") << L{"a@d1", "a@d2", "b@d3", "c@d4", "a@d5"} << "a@d6"
                                                << 0 << 0 << 0 << 0 << 0 << 0;

    QTest::addRow("maxPerUser: below the limit") << L{"a@d1"} << "b@d1" << 2 << 0 << 0 << 0 << 0 << 0;
    QTest::addRow("maxPerUser: at the limit") << L{"a@d1", "b@d1"} << "c@d1" << 2 << 0 << 0 << 1050 << 2 << 2;
    QTest::addRow("maxPerUser 1, other device") << L{"a@d1"} << "b@d2" << 1 << 0 << 0 << 1050 << 1 << 1;
    QTest::addRow("maxPerUser counts every device") << L{"a@d1", "b@d2"} << "c@d3" << 2 << 0 << 0 << 1050 << 2 << 2;
    QTest::addRow("maxPerUser: over the limit (lowered)") << L{"a@d1", "b@d1", "c@d1"} << "d@d1"
                                                          << 2 << 0 << 0 << 1050 << 2 << 3;
    QTest::addRow("maxPerUser 0, 5 active") << L{"a@d1", "b@d1", "c@d1", "d@d1", "e@d1"} << "f@d1"
                                            << 0 << 1 << 0 << 0 << 0 << 0;

    QTest::addRow("maxPerAsset: below the limit") << L{"a@d1"} << "a@d2" << 0 << 2 << 0 << 0 << 0 << 0;
    QTest::addRow("maxPerAsset: at the limit") << L{"a@d1", "a@d2"} << "a@d3" << 0 << 2 << 0 << 1051 << 2 << 2;
    QTest::addRow("maxPerAsset 1") << L{"a@d1", "b@d1"} << "a@d2" << 0 << 1 << 0 << 1051 << 1 << 1;
    QTest::addRow("maxPerAsset: other assets don't count") << L{"b@d1", "c@d2"} << "a@d3" << 0 << 1 << 0 << 0 << 0 << 0;
    QTest::addRow("maxPerAsset 0, same asset 3 times") << L{"a@d1", "a@d2", "a@d3"} << "a@d4"
                                                       << 0 << 0 << 0 << 0 << 0 << 0;

    QTest::addRow("maxDevices: new device below") << L{"a@d1"} << "b@d2" << 0 << 0 << 2 << 0 << 0 << 0;
    QTest::addRow("maxDevices: new device at the limit") << L{"a@d1", "b@d2"} << "c@d3" << 0 << 0 << 2 << 1052 << 2 << 2;
    QTest::addRow("maxDevices: active device is not new") << L{"a@d1", "b@d2"} << "c@d1" << 0 << 0 << 2 << 0 << 0 << 0;
    QTest::addRow("maxDevices 1: same device, other asset") << L{"a@d1"} << "b@d1" << 0 << 0 << 1 << 0 << 0 << 0;
    QTest::addRow("maxDevices 1: other device") << L{"a@d1"} << "b@d2" << 0 << 0 << 1 << 1052 << 1 << 1;
    QTest::addRow("maxDevices counts distinct devices") << L{"a@d1", "b@d1", "c@d1"} << "d@d2"
                                                        << 0 << 0 << 2 << 0 << 0 << 0;
    QTest::addRow("maxDevices: active device over a lowered limit") << L{"a@d1", "b@d2", "c@d3"} << "d@d2"
                                                                    << 0 << 0 << 1 << 0 << 0 << 0;
    QTest::addRow("maxDevices 0, 3 devices") << L{"a@d1", "b@d2", "c@d3"} << "d@d4" << 0 << 0 << 0 << 0 << 0 << 0;

    QTest::addRow("all three set, all hold") << L{"a@d1", "b@d2"} << "c@d2" << 3 << 1 << 2 << 0 << 0 << 0;
    // Several rules broken: reported in the contract's order 1050, 1051, 1052.
    QTest::addRow("1050 before 1051") << L{"a@d1", "a@d2"} << "a@d3" << 2 << 2 << 0 << 1050 << 2 << 2;
    QTest::addRow("1050 before 1052") << L{"a@d1", "b@d2"} << "c@d3" << 2 << 0 << 2 << 1050 << 2 << 2;
    QTest::addRow("1051 before 1052") << L{"a@d1", "a@d2"} << "a@d3" << 0 << 2 << 2 << 1051 << 2 << 2;
}

void TestStreamRegistry::admissionRules()
{
    QFETCH(QStringList, existing);
    QFETCH(QString, next);
    QFETCH(int, maxPerUser);
    QFETCH(int, maxPerAsset);
    QFETCH(int, maxDevices);
    QFETCH(int, code);
    QFETCH(int, limit);
    QFETCH(int, active);

    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    for (const QString &spec : existing)
        QVERIFY(beat(registry, parseKey(spec), false, Unlimited).admitted);
    QSignalSpy admittedSpy(&registry, &StreamRegistry::streamAdmitted);
    QSignalSpy refusedSpy(&registry, &StreamRegistry::streamRefused);

    clock.advanceSeconds(1);
    const Outcome o = beat(registry, parseKey(next), false, StreamPolicy{maxPerUser, maxPerAsset, maxDevices});
    QCOMPARE(o.code, code);
    QStringList expectedActive = existing;
    if (code == 0) {
        QVERIFY(o.admitted);
        QVERIFY(o.replaced.isEmpty());
        QCOMPARE(admittedSpy.count(), 1);
        QCOMPARE(refusedSpy.count(), 0);
        expectedActive.append(next);
    } else {
        QCOMPARE(o.extra.value(QStringLiteral("limit")).toInt(-1), limit);
        QCOMPARE(o.extra.value(QStringLiteral("active")).toInt(-1), active);
        QCOMPARE(o.extra.value(QStringLiteral("streams")).toArray().size(), existing.size());
        QVERIFY(!o.retryAfter().isEmpty());
        QCOMPARE(admittedSpy.count(), 0);
        QCOMPARE(refusedSpy.count(), 1);
        QCOMPARE(refusedSpy.at(0).at(0).value<StreamKey>(), parseKey(next));
        QCOMPARE(refusedSpy.at(0).at(1).value<ErrorCode>(), ErrorCode(code));
    }
    expectedActive.sort();
    QCOMPARE(specs(registry.activeStreams(QStringLiteral("t1"), QStringLiteral("u1"))), expectedActive);
    QCOMPARE(registry.activeCount(), expectedActive.size());
}

void TestStreamRegistry::refusalBody()
{
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    QVERIFY(beat(registry, key("a", "tv"), true, Unlimited).admitted);          // T0
    clock.setNowNs(T0 + 30 * S + S / 2);
    QVERIFY(beat(registry, key("b", "192.0.2.1"), false, Unlimited).admitted);  // T0 + 30.5 s
    clock.setNowNs(T0 + 60 * S + S / 4);                                         // T0 + 60.25 s

    Outcome o = beat(registry, key("c", "phone"), true, StreamPolicy{2, 0, 0});
    QCOMPARE(o.code, 1050);
    QCOMPARE(o.extra.value(QStringLiteral("limit")), QJsonValue(2));
    QCOMPARE(o.extra.value(QStringLiteral("active")), QJsonValue(2));
    QJsonArray streams = o.extra.value(QStringLiteral("streams")).toArray();
    QCOMPARE(streams.size(), 2);
    // RFC 3339 UTC, whole seconds (fractions are truncated: 22:13:50.5 → 22:13:50).
    const QJsonObject a{{"assetId", "a"}, {"device", "tv"},
                        {"lastHeartbeat", "2023-11-14T22:13:20Z"}, {"expiresAt", "2023-11-14T22:16:20Z"}};
    const QJsonObject b{{"assetId", "b"}, {"device", "192.0.2.1"},
                        {"lastHeartbeat", "2023-11-14T22:13:50Z"}, {"expiresAt", "2023-11-14T22:16:50Z"}};
    QVERIFY2(streams.contains(a), QJsonDocument(streams).toJson().constData());
    QVERIFY2(streams.contains(b), QJsonDocument(streams).toJson().constData());
    // The earliest expiry is a's, T0 + 180 s: 119.75 s away, rounded up.
    QCOMPARE(o.retryAfter(), QByteArray("120"));

    // Refreshing a at T0 + 100 s moves its expiry to T0 + 280 s; b (T0 + 210.5 s) is now first.
    clock.setNowNs(T0 + 100 * S);
    QVERIFY(!beat(registry, key("a", "tv"), true, StreamPolicy{2, 0, 0}).admitted);
    clock.setNowNs(T0 + 120 * S);
    o = beat(registry, key("c", "phone"), true, StreamPolicy{0, 0, 1});
    QCOMPARE(o.code, 1052);
    QCOMPARE(o.extra.value(QStringLiteral("limit")), QJsonValue(1));
    QCOMPARE(o.extra.value(QStringLiteral("active")), QJsonValue(2)); // devices tv and 192.0.2.1
    streams = o.extra.value(QStringLiteral("streams")).toArray();
    const QJsonObject a2{{"assetId", "a"}, {"device", "tv"},
                         {"lastHeartbeat", "2023-11-14T22:15:00Z"}, {"expiresAt", "2023-11-14T22:18:00Z"}};
    QVERIFY2(streams.contains(a2), QJsonDocument(streams).toJson().constData());
    QVERIFY2(streams.contains(b), QJsonDocument(streams).toJson().constData());
    QCOMPARE(o.retryAfter(), QByteArray("91")); // 90.5 s → 91

    // maxPerAsset: "active" counts the streams of that asset only.
    o = beat(registry, key("a", "phone"), true, StreamPolicy{0, 1, 0});
    QCOMPARE(o.code, 1051);
    QCOMPARE(o.extra.value(QStringLiteral("limit")), QJsonValue(1));
    QCOMPARE(o.extra.value(QStringLiteral("active")), QJsonValue(1));
    QCOMPARE(o.extra.value(QStringLiteral("streams")).toArray().size(), 2); // all the caller's streams
    QCOMPARE(o.retryAfter(), QByteArray("91"));
}

void TestStreamRegistry::retryAfter_data()
{
    QTest::addColumn<int>("timeout");
    QTest::addColumn<qint64>("refusedAfterNs"); // one stream admitted at T0
    QTest::addColumn<QByteArray>("retryAfter");
    QTest::addRow("at once") << 180 << qint64(0) << QByteArray("180");
    QTest::addRow("1 ns later: 179.999999999 -> 180") << 180 << qint64(1) << QByteArray("180");
    QTest::addRow("0.5 s: 179.5 -> 180") << 180 << qint64(S / 2) << QByteArray("180");
    QTest::addRow("1 s: exactly 179") << 180 << qint64(S) << QByteArray("179");
    QTest::addRow("60.25 s: 119.75 -> 120") << 180 << qint64(60 * S + S / 4) << QByteArray("120");
    QTest::addRow("120 s: exactly 60") << 180 << qint64(120 * S) << QByteArray("60");
    QTest::addRow("179 s: exactly 1") << 180 << qint64(179 * S) << QByteArray("1");
    QTest::addRow("179.5 s: 0.5 -> 1") << 180 << qint64(179 * S + S / 2) << QByteArray("1");
    QTest::addRow("1 ns before expiry: at least 1") << 180 << qint64(180 * S - 1) << QByteArray("1");
    QTest::addRow("timeout 1 s, at once") << 1 << qint64(0) << QByteArray("1");
    QTest::addRow("timeout 3600 s, 0.1 s later") << 3600 << qint64(S / 10) << QByteArray("3600");
}

void TestStreamRegistry::retryAfter()
{
    QFETCH(int, timeout);
    QFETCH(qint64, refusedAfterNs);
    QFETCH(QByteArray, retryAfter);
    ManualClock clock(T0);
    StreamRegistry registry(clock, timeout, testActiveStreams());
    QVERIFY(beat(registry, key("a", "tv"), true, StreamPolicy{1, 0, 0}).admitted);
    clock.setNowNs(T0 + refusedAfterNs);
    const Outcome o = beat(registry, key("b", "phone"), true, StreamPolicy{1, 0, 0});
    QCOMPARE(o.code, 1050);
    QCOMPARE(o.retryAfter(), retryAfter);
}

void TestStreamRegistry::refreshDoesNotRecheckLimits()
{
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    const StreamPolicy generous{3, 3, 3};
    for (const char *device : {"d1", "d2", "d3"})
        QVERIFY(beat(registry, key("a", device), true, generous).admitted);
    QSignalSpy admittedSpy(&registry, &StreamRegistry::streamAdmitted);
    QSignalSpy refusedSpy(&registry, &StreamRegistry::streamRefused);

    // The administrator lowers every limit to 1: active streams are not cut off.
    const StreamPolicy strict{1, 1, 1};
    for (int round = 0; round < 3; ++round) {
        clock.advanceSeconds(100); // well inside the timeout after each refresh
        for (const char *device : {"d1", "d2", "d3"}) {
            const Outcome o = beat(registry, key("a", device), true, strict);
            QCOMPARE(o.code, 0);
            QVERIFY(!o.admitted);
            QVERIFY(o.replaced.isEmpty());
        }
    }
    QCOMPARE(admittedSpy.count(), 0);
    QCOMPARE(refusedSpy.count(), 0);
    QCOMPARE(registry.activeStreams("t1", "u1").size(), 3);
    QCOMPARE(registry.counters().refreshed, quint64(9));
    // But a new stream (from a new device, so nothing is replaced) is checked against the
    // lowered policy, counting all three.
    const Outcome o = beat(registry, key("b", "d4"), true, strict);
    QCOMPARE(o.code, 1050);
    QCOMPARE(o.extra.value(QStringLiteral("active")), QJsonValue(3));
}

void TestStreamRegistry::refreshKeepsProgressUnlessGiven()
{
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    QVERIFY(beat(registry, key("a", "tv"), true, Unlimited, 10).admitted);
    QCOMPARE(registry.activeStreams("t1", "u1").value(0).progress, 10);
    clock.advanceSeconds(5);
    beat(registry, key("a", "tv"), true, Unlimited);
    QCOMPARE(registry.activeStreams("t1", "u1").value(0).progress, 10);
    beat(registry, key("a", "tv"), true, Unlimited, 0);
    const ActiveStream s = registry.activeStreams("t1", "u1").value(0);
    QCOMPARE(s.progress, 0);
    QCOMPARE(s.startedNs, T0);
    QCOMPARE(s.lastHeartbeatNs, T0 + 5 * S);
    QCOMPARE(s.expiresNs, T0 + 185 * S);
    QVERIFY(s.explicitDevice);
    // A refused heartbeat records no progress.
    QCOMPARE(beat(registry, key("b", "tv2"), true, StreamPolicy{1, 0, 0}, 99).code, 1050);
    QCOMPARE(registry.activeStreams("t1", "u1").size(), 1);
    QCOMPARE(registry.activeStreams("t1", "u1").value(0).progress, 0);
}

// --- expiry --------------------------------------------------------------------------------

void TestStreamRegistry::expiryBoundary_data()
{
    QTest::addColumn<qint64>("elapsedNs"); // since the only heartbeat, at T0
    QTest::addColumn<bool>("active");
    // Active "until no heartbeat has arrived for streamTimeout seconds": at exactly
    // lastHeartbeat + 180 s no heartbeat has arrived for 180 s, so the stream is over.
    QTest::addRow("just admitted") << qint64(0) << true;
    QTest::addRow("90 s") << qint64(90 * S) << true;
    QTest::addRow("180 s - 1 ns") << qint64(180 * S - 1) << true;
    QTest::addRow("exactly 180 s") << qint64(180 * S) << false;
    QTest::addRow("180 s + 1 ns") << qint64(180 * S + 1) << false;
    QTest::addRow("one day") << qint64(86400 * S) << false;
}

void TestStreamRegistry::expiryBoundary()
{
    QFETCH(qint64, elapsedNs);
    QFETCH(bool, active);
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    QVERIFY(beat(registry, key("a", "tv"), true, StreamPolicy{1, 0, 0}).admitted);
    clock.setNowNs(T0 + elapsedNs);

    QCOMPARE(registry.activeStreams("t1", "u1").size(), active ? 1 : 0);
    QCOMPARE(registry.snapshot().size(), active ? 1 : 0);
    QCOMPARE(registry.activeCount(), active ? 1 : 0);
    // Another stream under maxPerUser 1 is refused exactly while the first one is active.
    QCOMPARE(beat(registry, key("b", "phone"), true, StreamPolicy{1, 0, 0}).code, active ? 1050 : 0);
    if (!active) {
        // The same key again is a new admission, not a refresh.
        QCOMPARE(registry.stop(key("b", "phone")), true);
        const Outcome again = beat(registry, key("a", "tv"), true, StreamPolicy{1, 0, 0});
        QCOMPARE(again.code, 0);
        QVERIFY(again.admitted);
    }
}

void TestStreamRegistry::refreshMovesExpiry()
{
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    QVERIFY(beat(registry, key("a", "tv"), true, Unlimited).admitted);
    clock.setNowNs(T0 + 100 * S);
    QVERIFY(!beat(registry, key("a", "tv"), true, Unlimited).admitted);
    clock.setNowNs(T0 + 279 * S);
    QCOMPARE(registry.activeCount(), 1);
    clock.setNowNs(T0 + 280 * S - 1);
    QCOMPARE(registry.activeCount(), 1);
    QCOMPARE(registry.expireStale(), 0);
    clock.setNowNs(T0 + 280 * S);
    QCOMPARE(registry.activeCount(), 0);
    QCOMPARE(registry.expireStale(), 1);
}

void TestStreamRegistry::expireStaleStaggered()
{
    // 1,000 users, user i admitted at T0 + i × 0.1 s (expires T0 + 180 s + i × 0.1 s); users 0..99
    // refresh at T0 + 100 s (expire T0 + 280 s). Hand-computed sweeps:
    //   T0 + 230.05 s: 180 + i/10 <= 230.05 → i <= 500, minus the refreshed 0..99: 401 expire;
    //   T0 + 279.9 s: users 501..999: 499; T0 + 280 s - 1 ns: none; T0 + 280 s: the 100 refreshed.
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    const auto user = [](int i) { return key(QStringLiteral("a"), QStringLiteral("tv"), QStringLiteral("u%1").arg(i)); };
    for (int i = 0; i < 1000; ++i) {
        clock.setNowNs(T0 + i * (S / 10));
        QVERIFY(beat(registry, user(i), true, Unlimited).admitted);
    }
    clock.setNowNs(T0 + 100 * S);
    for (int i = 0; i < 100; ++i)
        QVERIFY(!beat(registry, user(i), true, Unlimited).admitted); // refreshed, not admitted
    clock.setNowNs(T0 + 230 * S + S / 20);
    QCOMPARE(registry.expireStale(), 401);
    QCOMPARE(registry.activeCount(), 599);
    QCOMPARE(registry.expireStale(), 0);
    clock.setNowNs(T0 + 279 * S + 9 * (S / 10));
    QCOMPARE(registry.expireStale(), 499);
    QCOMPARE(registry.activeCount(), 100);
    clock.setNowNs(T0 + 280 * S - 1);
    QCOMPARE(registry.expireStale(), 0);
    clock.setNowNs(T0 + 280 * S);
    QCOMPARE(registry.expireStale(), 100);
    QCOMPARE(registry.activeCount(), 0);
    QCOMPARE(registry.counters().expired, quint64(1000));
}

void TestStreamRegistry::expireStale()
{
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    QSignalSpy expiredSpy(&registry, &StreamRegistry::streamExpired);
    QVERIFY(beat(registry, key("a", "tv", "u1"), true, Unlimited).admitted);       // expires T0+180
    clock.setNowNs(T0 + 10 * S);
    QVERIFY(beat(registry, key("b", "tv", "u2"), true, Unlimited).admitted);       // expires T0+190
    clock.setNowNs(T0 + 20 * S);
    QVERIFY(beat(registry, key("c", "phone", "u1", "t2"), false, Unlimited).admitted); // expires T0+200

    QCOMPARE(registry.expireStale(), 0);
    clock.setNowNs(T0 + 180 * S);
    QCOMPARE(registry.expireStale(), 1);
    QCOMPARE(expiredSpy.count(), 1);
    QCOMPARE(expiredSpy.at(0).at(0).value<StreamKey>(), key("a", "tv", "u1"));
    QCOMPARE(registry.expireStale(), 0); // already dropped
    QCOMPARE(expiredSpy.count(), 1);

    clock.setNowNs(T0 + 1000 * S);
    QCOMPARE(registry.expireStale(), 2);
    QCOMPARE(expiredSpy.count(), 3);
    QList<StreamKey> keys{expiredSpy.at(1).at(0).value<StreamKey>(), expiredSpy.at(2).at(0).value<StreamKey>()};
    QVERIFY(keys.contains(key("b", "tv", "u2")));
    QVERIFY(keys.contains(key("c", "phone", "u1", "t2")));
    QCOMPARE(registry.expireStale(), 0);
    QCOMPARE(registry.counters().expired, quint64(3));
    QCOMPARE(registry.activeCount(), 0);
    QVERIFY(registry.snapshot().isEmpty());
    // An expired stream is not active any more: stop() says so.
    QVERIFY(!registry.stop(key("a", "tv", "u1")));
}

void TestStreamRegistry::everyExpiredStreamIsReportedOnce_data()
{
    // Stream X (asset x on device old) is admitted at T0, streams Y and Z at T0 + 100 s; at
    // T0 + 181 s only X has expired. Whatever call notices it first, streamExpired is emitted
    // exactly once for X and counters().expired counts it once.
    QTest::addColumn<QString>("trigger");
    QTest::addRow("admitted heartbeat") << "admitted";
    QTest::addRow("refreshing heartbeat") << "refreshed";
    QTest::addRow("stop of another stream") << "stop";
    QTest::addRow("endByAdmin of another stream") << "endByAdmin";
    QTest::addRow("heartbeat refused with 1050") << "refused1050";
    QTest::addRow("heartbeat refused with 1053") << "refused1053";
    QTest::addRow("expireStale") << "expireStale";
}

void TestStreamRegistry::everyExpiredStreamIsReportedOnce()
{
    QFETCH(QString, trigger);
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    QVERIFY(beat(registry, key("x", "old"), true, Unlimited).admitted);
    clock.setNowNs(T0 + 100 * S);
    QVERIFY(beat(registry, key("y", "tv"), true, Unlimited).admitted);
    QVERIFY(beat(registry, key("z", "phone"), true, Unlimited).admitted);
    if (trigger == QLatin1String("refused1053"))
        QVERIFY(registry.endByAdmin(key("z", "phone")));
    QSignalSpy expiredSpy(&registry, &StreamRegistry::streamExpired);
    clock.setNowNs(T0 + 181 * S);

    if (trigger == QLatin1String("admitted"))
        QCOMPARE(beat(registry, key("w", "tablet"), true, Unlimited).code, 0);
    else if (trigger == QLatin1String("refreshed"))
        QCOMPARE(beat(registry, key("y", "tv"), true, Unlimited).code, 0);
    else if (trigger == QLatin1String("stop"))
        QVERIFY(registry.stop(key("y", "tv")));
    else if (trigger == QLatin1String("endByAdmin"))
        QVERIFY(registry.endByAdmin(key("y", "tv")));
    else if (trigger == QLatin1String("refused1050"))
        QCOMPARE(beat(registry, key("w", "tablet"), true, StreamPolicy{2, 0, 0}).code, 1050);
    else if (trigger == QLatin1String("refused1053"))
        QCOMPARE(beat(registry, key("z", "phone"), true, Unlimited).code, 1053);
    // The periodic sweep runs afterwards in every case.
    registry.expireStale();

    QCOMPARE(expiredSpy.count(), 1);
    QCOMPARE(expiredSpy.at(0).at(0).value<StreamKey>(), key("x", "old"));
    QCOMPARE(registry.counters().expired, quint64(1));
    QVERIFY(!specs(registry.activeStreams("t1", "u1")).contains(QStringLiteral("x@old")));
}

// --- next-episode replacement --------------------------------------------------------------

void TestStreamRegistry::nextEpisodeReplacement_data()
{
    QTest::addColumn<StreamPolicy>("policy");
    QTest::addRow("maxPerUser 1") << StreamPolicy{1, 0, 0};
    QTest::addRow("maxPerUser 1, maxPerAsset 1, maxDevices 1") << StreamPolicy{1, 1, 1};
    QTest::addRow("no limits") << StreamPolicy{0, 0, 0};
}

void TestStreamRegistry::nextEpisodeReplacement()
{
    QFETCH(StreamPolicy, policy);
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    QVERIFY(beat(registry, key("ep1", "tv"), true, policy, 1200).admitted);
    QSignalSpy replacedSpy(&registry, &StreamRegistry::streamReplaced);
    QSignalSpy admittedSpy(&registry, &StreamRegistry::streamAdmitted);
    QSignalSpy stoppedSpy(&registry, &StreamRegistry::streamStopped);
    clock.advanceSeconds(30);

    // The player moves on to the next episode without calling `stopped`.
    const Outcome o = beat(registry, key("ep2", "tv"), true, policy);
    QCOMPARE(o.code, 0);
    QVERIFY(o.admitted);
    QCOMPARE(o.replaced.size(), 1);
    QCOMPARE(o.replaced.at(0).key, key("ep1", "tv"));
    QCOMPARE(o.replaced.at(0).progress, 1200);
    QCOMPARE(replacedSpy.count(), 1);
    QCOMPARE(replacedSpy.at(0).at(0).value<StreamKey>(), key("ep1", "tv"));
    QCOMPARE(admittedSpy.count(), 1);
    QCOMPARE(admittedSpy.at(0).at(0).value<ActiveStream>().key, key("ep2", "tv"));
    QCOMPARE(stoppedSpy.count(), 0);
    QCOMPARE(specs(registry.activeStreams("t1", "u1")), QStringList{"ep2@tv"});
    QVERIFY(!registry.stop(key("ep1", "tv"))); // ended by the replacement

    // A refresh of the new episode replaces nothing.
    const Outcome refresh = beat(registry, key("ep2", "tv"), true, policy);
    QVERIFY(!refresh.admitted);
    QVERIFY(refresh.replaced.isEmpty());
    QCOMPARE(replacedSpy.count(), 1);
}

void TestStreamRegistry::noReplacementForIpDevices()
{
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    QSignalSpy replacedSpy(&registry, &StreamRegistry::streamReplaced);
    const QString ip = QStringLiteral("192.0.2.7");

    // Identified by IP only: two assets from one address may be two devices behind a NAT.
    QVERIFY(beat(registry, key("ep1", ip), false, StreamPolicy{1, 0, 0}).admitted);
    Outcome o = beat(registry, key("ep2", ip), false, StreamPolicy{1, 0, 0});
    QCOMPARE(o.code, 1050);
    QCOMPARE(specs(registry.activeStreams("t1", "u1")), QStringList{"ep1@" + ip});

    o = beat(registry, key("ep2", ip), false, Unlimited);
    QCOMPARE(o.code, 0);
    QVERIFY(o.admitted);
    QVERIFY(o.replaced.isEmpty());
    QCOMPARE(specs(registry.activeStreams("t1", "u1")), (QStringList{"ep1@" + ip, "ep2@" + ip}));

    // Only explicitly identified streams are replaced, and only by an explicit heartbeat:
    // an explicit device does not replace a stream of another (explicit) device either.
    QVERIFY(beat(registry, key("x", "tv"), true, Unlimited).admitted);
    o = beat(registry, key("y", "phone"), true, Unlimited);
    QVERIFY(o.admitted);
    QVERIFY(o.replaced.isEmpty());
    QCOMPARE(replacedSpy.count(), 0);
    QCOMPARE(registry.activeStreams("t1", "u1").size(), 4);
}

void TestStreamRegistry::refusedHeartbeatChangesNothing_data()
{
    QTest::addColumn<StreamPolicy>("policy");
    QTest::addColumn<int>("code");
    // tv plays "a" (explicit), phone plays "b" (explicit); tv asks for "b".
    QTest::addRow("refused by maxPerAsset") << StreamPolicy{0, 1, 0} << 1051;
    // tablet plays "c" as well: 3 streams; after replacing tv's "a", 2 remain, which is the limit.
    QTest::addRow("refused by maxPerUser") << StreamPolicy{2, 0, 0} << 1050;
}

void TestStreamRegistry::refusedHeartbeatChangesNothing()
{
    QFETCH(StreamPolicy, policy);
    QFETCH(int, code);
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    QVERIFY(beat(registry, key("a", "tv"), true, Unlimited, 300).admitted);
    QVERIFY(beat(registry, key("b", "phone"), true, Unlimited).admitted);
    if (code == 1050)
        QVERIFY(beat(registry, key("c", "tablet"), true, Unlimited).admitted);
    const QList<ActiveStream> before = registry.activeStreams("t1", "u1");
    QSignalSpy replacedSpy(&registry, &StreamRegistry::streamReplaced);
    QSignalSpy admittedSpy(&registry, &StreamRegistry::streamAdmitted);
    clock.advanceSeconds(10);

    const Outcome o = beat(registry, key("b", "tv"), true, policy, 5);
    QCOMPARE(o.code, code);
    QCOMPARE(replacedSpy.count(), 0);
    QCOMPARE(admittedSpy.count(), 0);
    const QList<ActiveStream> after = registry.activeStreams("t1", "u1");
    QCOMPARE(specs(after), specs(before));
    for (const ActiveStream &s : after) {
        if (s.key == key("a", "tv")) {
            // tv's stream of "a" still runs, untouched by the refused heartbeat.
            QCOMPARE(s.lastHeartbeatNs, T0);
            QCOMPARE(s.expiresNs, T0 + 180 * S);
            QCOMPARE(s.progress, 300);
        }
    }
    QVERIFY(!specs(after).contains(QStringLiteral("b@tv")));
    // And it is still the same stream: its next heartbeat is a refresh.
    QVERIFY(!beat(registry, key("a", "tv"), true, policy).admitted);
}

// --- ended by an administrator -------------------------------------------------------------

void TestStreamRegistry::endByAdmin()
{
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    QSignalSpy endedSpy(&registry, &StreamRegistry::streamEndedByAdmin);
    QSignalSpy refusedSpy(&registry, &StreamRegistry::streamRefused);
    const StreamKey k = key("a", "tv");

    QVERIFY(!registry.endByAdmin(k)); // not active
    QVERIFY(beat(registry, k, true, Unlimited).admitted);
    clock.setNowNs(T0 + 10 * S);
    QVERIFY(registry.endByAdmin(k)); // refused until T0 + 10 s + 180 s
    QCOMPARE(endedSpy.count(), 1);
    QCOMPARE(endedSpy.at(0).at(0).value<StreamKey>(), k);
    QVERIFY(registry.activeStreams("t1", "u1").isEmpty());
    QVERIFY(!registry.endByAdmin(k)); // no longer active
    QVERIFY(!registry.stop(k));

    struct Step { qint64 at; int code; const char *retryAfter; };
    const Step steps[] = {
        {T0 + 10 * S, 1053, "180"},
        {T0 + 100 * S + S / 2, 1053, "90"},   // 89.5 s → 90
        {T0 + 189 * S, 1053, "1"},
        {T0 + 190 * S - 1, 1053, "1"},
    };
    for (const Step &step : steps) {
        clock.setNowNs(step.at);
        const Outcome o = beat(registry, k, true, Unlimited);
        QCOMPARE(o.code, step.code);
        QCOMPARE(o.retryAfter(), QByteArray(step.retryAfter));
        QVERIFY(registry.activeStreams("t1", "u1").isEmpty());
    }
    QCOMPARE(refusedSpy.count(), 4);
    QCOMPARE(refusedSpy.at(0).at(1).value<ErrorCode>(), ErrorCode::EndedByAdmin);

    clock.setNowNs(T0 + 190 * S); // streamTimeout has passed
    const Outcome o = beat(registry, k, true, StreamPolicy{1, 1, 1});
    QCOMPARE(o.code, 0);
    QVERIFY(o.admitted);
    QCOMPARE(registry.counters().refusedEndedByAdmin, quint64(4));
    QCOMPARE(registry.counters().endedByAdmin, quint64(1));
}

void TestStreamRegistry::endByAdminOnlyBlocksThatStream()
{
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    QVERIFY(beat(registry, key("a", "tv"), false, Unlimited).admitted);
    QVERIFY(registry.endByAdmin(key("a", "tv")));
    QCOMPARE(beat(registry, key("a", "tv"), false, Unlimited).code, 1053);
    QCOMPARE(beat(registry, key("a", "tv", "u2"), false, Unlimited).code, 0);          // another user
    QCOMPARE(beat(registry, key("a", "tv", "u1", "t2"), false, Unlimited).code, 0);    // another tenant
    QCOMPARE(beat(registry, key("a", "phone"), false, Unlimited).code, 0);             // another device
    QCOMPARE(beat(registry, key("b", "tv"), false, Unlimited).code, 0);                // another asset
    // The ended stream does not count against the limits of the others.
    QCOMPARE(specs(registry.activeStreams("t1", "u1")), (QStringList{"a@phone", "b@tv"}));
}

// --- stop, isolation, counters -------------------------------------------------------------

void TestStreamRegistry::stop()
{
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    QSignalSpy stoppedSpy(&registry, &StreamRegistry::streamStopped);
    const StreamKey k = key("a", "tv");

    QVERIFY(!registry.stop(k)); // never active
    QVERIFY(beat(registry, k, true, StreamPolicy{1, 0, 0}).admitted);
    QVERIFY(!registry.stop(key("a", "phone")));  // other device
    QVERIFY(!registry.stop(key("b", "tv")));     // other asset
    QVERIFY(!registry.stop(key("a", "tv", "u2")));
    QCOMPARE(stoppedSpy.count(), 0);

    QVERIFY(registry.stop(k));
    QCOMPARE(stoppedSpy.count(), 1);
    QCOMPARE(stoppedSpy.at(0).at(0).value<StreamKey>(), k);
    QVERIFY(!registry.stop(k)); // idempotent
    QVERIFY(!registry.stop(k));
    QCOMPARE(stoppedSpy.count(), 1);
    QCOMPARE(registry.counters().stopped, quint64(1));
    QCOMPARE(registry.activeCount(), 0);

    // The slot is free at once: another stream under maxPerUser 1 is admitted.
    QVERIFY(beat(registry, key("b", "phone"), true, StreamPolicy{1, 0, 0}).admitted);
    // A stopped stream can start again (no 1053).
    QVERIFY(registry.stop(key("b", "phone")));
    QVERIFY(beat(registry, k, true, StreamPolicy{1, 0, 0}).admitted);
}

void TestStreamRegistry::isolationBetweenUsersAndTenants()
{
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    const StreamPolicy one{1, 1, 1};
    QVERIFY(beat(registry, key("a", "tv", "u1", "t1"), true, one).admitted);
    QVERIFY(beat(registry, key("a", "tv", "u2", "t1"), true, one).admitted);
    QVERIFY(beat(registry, key("a", "tv", "u1", "t2"), true, one).admitted);
    QVERIFY(beat(registry, key("a", "tv", "U1", "t1"), true, one).admitted); // IDs are case-sensitive
    // Tenant "t" + user "1u1" must not be confused with tenant "t1" + user "u1".
    QVERIFY(beat(registry, key("a", "tv", "1u1", "t"), true, one).admitted);
    QVERIFY(beat(registry, key("a", "tv", "u1", "t1u"), true, one).admitted);

    const Outcome o = beat(registry, key("b", "phone", "u1", "t1"), true, one);
    QCOMPARE(o.code, 1050);
    QCOMPARE(o.extra.value(QStringLiteral("active")), QJsonValue(1));
    const QJsonArray streams = o.extra.value(QStringLiteral("streams")).toArray();
    QCOMPARE(streams.size(), 1); // only the caller's own stream
    QCOMPARE(streams.at(0).toObject().value(QStringLiteral("assetId")).toString(), QStringLiteral("a"));

    const QList<QPair<QString, QString>> owners{{"t1", "u1"}, {"t1", "u2"}, {"t2", "u1"}, {"t1", "U1"},
                                                {"t", "1u1"}, {"t1u", "u1"}};
    for (const auto &[tenant, user] : owners)
        QCOMPARE(registry.activeStreams(tenant, user).size(), 1);
    QCOMPARE(registry.activeCount(), 6);

    // Stopping and ending in one tenant leaves the other alone.
    QVERIFY(registry.stop(key("a", "tv", "u1", "t2")));
    QCOMPARE(registry.activeStreams("t1", "u1").size(), 1);
    QVERIFY(registry.endByAdmin(key("a", "tv", "u1", "t1")));
    QVERIFY(beat(registry, key("a", "tv", "u1", "t2"), true, one).admitted); // no 1053 in t2
    QCOMPARE(beat(registry, key("a", "tv", "u1", "t1"), true, one).code, 1053);
    QVERIFY(!beat(registry, key("a", "tv", "u2", "t1"), true, one).admitted); // refresh in u2
}

void TestStreamRegistry::counters()
{
    ManualClock clock(T0);
    StreamRegistry registry(clock, Timeout, testActiveStreams());
    const StreamRegistry::Counters zero = registry.counters();
    QCOMPARE(zero.admitted + zero.refreshed + zero.refusedMaxPerUser + zero.refusedMaxPerAsset
                 + zero.refusedMaxDevices + zero.refusedEndedByAdmin + zero.stopped + zero.expired
                 + zero.endedByAdmin,
             quint64(0));

    beat(registry, key("a", "d1"), false, Unlimited);                   // admitted 1
    beat(registry, key("a", "d1"), false, Unlimited);                   // refreshed 1
    beat(registry, key("b", "d1"), false, StreamPolicy{1, 0, 0});       // 1050
    beat(registry, key("a", "d2"), false, StreamPolicy{0, 1, 0});       // 1051
    beat(registry, key("b", "d2"), false, StreamPolicy{0, 0, 1});       // 1052
    beat(registry, key("b", "d2"), false, StreamPolicy{0, 0, 1});       // 1052
    beat(registry, key("b", "d1"), false, Unlimited);                   // admitted 2
    beat(registry, key("c", "d1"), false, Unlimited);                   // admitted 3
    registry.stop(key("b", "d1"));                                      // stopped 1
    registry.stop(key("b", "d1"));                                      // not active: no count
    registry.endByAdmin(key("c", "d1"));                                // endedByAdmin 1
    beat(registry, key("c", "d1"), false, Unlimited);                   // 1053
    clock.advanceSeconds(Timeout);
    registry.expireStale();                                             // expired 1 (a@d1)
    beat(registry, key("c", "d1"), false, Unlimited);                   // admitted 4

    const StreamRegistry::Counters c = registry.counters();
    QCOMPARE(c.admitted, quint64(4));
    QCOMPARE(c.refreshed, quint64(1));
    QCOMPARE(c.refusedMaxPerUser, quint64(1));
    QCOMPARE(c.refusedMaxPerAsset, quint64(1));
    QCOMPARE(c.refusedMaxDevices, quint64(2));
    QCOMPARE(c.refusedEndedByAdmin, quint64(1));
    QCOMPARE(c.stopped, quint64(1));
    QCOMPARE(c.endedByAdmin, quint64(1));
    QCOMPARE(c.expired, quint64(1));
}

// --- concurrency ---------------------------------------------------------------------------

void TestStreamRegistry::concurrentFirstHeartbeats_data()
{
    QTest::addColumn<QString>("rule");
    QTest::addColumn<int>("limit");
    QTest::addColumn<int>("expectedCode");
    for (int limit : {1, 2, 5, 15, 16, 20})
        QTest::addRow("maxPerUser %d", limit) << "user" << limit << 1050;
    for (int limit : {1, 7})
        QTest::addRow("maxPerAsset %d", limit) << "asset" << limit << 1051;
    for (int limit : {1, 7})
        QTest::addRow("maxDevices %d", limit) << "devices" << limit << 1052;
}

namespace {

/// Runs `rounds` rounds in which `threads` persistent threads call `body(registry, thread)` at
/// once on a fresh registry; `check(registry, round)` runs on the test thread after each round.
/// The threads are created once and synchronized by a barrier, so the rounds are cheap.
template <typename Body, typename Check>
void raceRounds(int threads, int rounds, Body body, Check check)
{
    ManualClock clock(T0);
    std::unique_ptr<StreamRegistry> registry;
    std::barrier sync(threads + 1);
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (int i = 0; i < threads; ++i) {
        pool.emplace_back([&, i] {
            for (int round = 0; round < rounds; ++round) {
                sync.arrive_and_wait(); // the registry of this round is ready
                body(*registry, i, round);
                sync.arrive_and_wait(); // round done
            }
        });
    }
    for (int round = 0; round < rounds; ++round) {
        registry = std::make_unique<StreamRegistry>(clock, Timeout);
        sync.arrive_and_wait();
        sync.arrive_and_wait();
        check(*registry, round);
    }
    for (std::thread &t : pool)
        t.join();
}

} // namespace

void TestStreamRegistry::concurrentFirstHeartbeats()
{
    // N = 16 first heartbeats of one user race against a limit L: exactly min(N, L) admitted,
    // the others refused with the rule's code. 100 rounds.
    QFETCH(QString, rule);
    QFETCH(int, limit);
    QFETCH(int, expectedCode);
    constexpr int Threads = 16;
    constexpr int Rounds = 100;
    const StreamPolicy policy = rule == QLatin1String("user")    ? StreamPolicy{limit, 0, 0}
                                : rule == QLatin1String("asset") ? StreamPolicy{0, limit, 0}
                                                                 : StreamPolicy{0, 0, limit};
    const int expected = std::min(Threads, limit);
    std::vector<std::atomic<int>> admitted(Rounds), refused(Rounds), other(Rounds);
    std::vector<int> active(Rounds), counted(Rounds);
    // Distinct streams of user u1; for maxPerAsset they all share one asset.
    std::vector<StreamKey> keys;
    for (int i = 0; i < Threads; ++i)
        keys.push_back(key(rule == QLatin1String("asset") ? QStringLiteral("a") : QStringLiteral("a%1").arg(i),
                        QStringLiteral("d%1").arg(i)));

    raceRounds(Threads, Rounds,
        [&](StreamRegistry &registry, int i, int round) {
            try {
                const auto r = registry.heartbeat(keys[size_t(i)], true, policy);
                (r.admitted ? admitted : other)[size_t(round)].fetch_add(1);
            } catch (const ApiError &e) {
                (int(e.code()) == expectedCode ? refused : other)[size_t(round)].fetch_add(1);
            } catch (...) {
                other[size_t(round)].fetch_add(1);
            }
        },
        [&](StreamRegistry &registry, int round) {
            active[size_t(round)] = int(registry.activeStreams(QStringLiteral("t1"), QStringLiteral("u1")).size());
            counted[size_t(round)] = int(registry.counters().admitted);
        });

    for (int round = 0; round < Rounds; ++round) {
        const size_t r = size_t(round);
        QVERIFY2(admitted[r].load() == expected,
                 qPrintable(QStringLiteral("round %1: %2 admitted, expected %3").arg(round).arg(admitted[r].load()).arg(expected)));
        QCOMPARE(refused[r].load(), Threads - expected);
        QCOMPARE(other[r].load(), 0);
        QCOMPARE(active[r], expected);
        QCOMPARE(counted[r], expected);
    }
}

void TestStreamRegistry::concurrentHeartbeatsOfOneStream()
{
    // 16 threads send the first heartbeat of the same stream: one admission, 15 refreshes.
    constexpr int Threads = 16;
    constexpr int Rounds = 100;
    std::vector<std::atomic<int>> admitted(Rounds), refreshed(Rounds), failed(Rounds);
    std::vector<int> active(Rounds);
    raceRounds(Threads, Rounds,
        [&](StreamRegistry &registry, int, int round) {
            try {
                (registry.heartbeat(key("a", "tv"), true, StreamPolicy{1, 1, 1}).admitted ? admitted : refreshed)
                    [size_t(round)].fetch_add(1);
            } catch (...) {
                failed[size_t(round)].fetch_add(1);
            }
        },
        [&](StreamRegistry &registry, int round) { active[size_t(round)] = int(registry.activeCount()); });
    for (size_t r = 0; r < size_t(Rounds); ++r) {
        QCOMPARE(admitted[r].load(), 1);
        QCOMPARE(refreshed[r].load(), Threads - 1);
        QCOMPARE(failed[r].load(), 0);
        QCOMPARE(active[r], 1);
    }
}

QTEST_GUILESS_MAIN(TestStreamRegistry)
#include "tst_streamregistry.moc"
