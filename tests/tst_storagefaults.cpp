// A database that goes away under a running service: requests that need it get a JSON
// 503/1503 (docs/api.md), nothing leaks, requests that don't need it go on, and the service
// recovers when the database is back.

#include "testsupport.h"

#include "oxmservice.h"
#include "storage/sqlitestore.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QTest>
#include <csignal>
#include <sys/resource.h>

using namespace oxm;
using namespace oxm::test;

class TestStorageFaults final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void unavailableDatabaseAnswers503AndRecovers_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<bool>("streamStaysActive");
        QTest::addRow("watchlist add") << QByteArray("PUT") << QByteArray("/oxm/v1/towatch/movie-9") << true;
        QTest::addRow("watchlist read") << QByteArray("GET") << QByteArray("/oxm/v1/towatch") << true;
        QTest::addRow("history") << QByteArray("GET") << QByteArray("/oxm/v1/streams/history") << true;
        QTest::addRow("resume point") << QByteArray("GET") << QByteArray("/oxm/v1/streams/movie-1") << true;
        // The stop itself takes effect (it needs no database); its progress is what fails, and a
        // retry of the idempotent stop records it.
        QTest::addRow("stop with progress") << QByteArray("PUT")
                                            << QByteArray("/oxm/v1/streams/movie-1/stopped?device=tv&progress=99") << false;
    }

    void unavailableDatabaseAnswers503AndRecovers()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, target);
        QFETCH(bool, streamStaysActive);
        ServiceFixture f;
        const QByteArray token = f.token(QStringLiteral("acme"), QStringLiteral("bob"));
        QCOMPARE(f.send("PUT", "/oxm/v1/streams/movie-1/streaming?device=tv&progress=42", token).status, 204);

        auto &store = dynamic_cast<SqliteStore &>(f.service().store());
        store.close();

        const Reply refused = f.send(method, target, token);
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.errorCode(), 1503);
        QCOMPARE(refused.header("Content-Type"), QByteArray("application/json; charset=utf-8"));
        QVERIFY(!refused.object().value(QStringLiteral("requestID")).toString().isEmpty());
        QVERIFY2(!refused.body.contains("SQL") && !refused.body.contains("sqlite") && !refused.body.contains(".sqlite"),
                 refused.body.constData());

        // What needs no database goes on: health, counts, a heartbeat without progress.
        QCOMPARE(f.send("GET", "/healthz").status, 200);
        const QJsonObject expectedCounts =
            streamStaysActive ? QJsonObject{{QStringLiteral("movie-1"), 1}} : QJsonObject{};
        QCOMPARE(f.send("GET", "/oxm/v1/streams/counts", token).object(), expectedCounts);
        QCOMPARE(f.send("PUT", "/oxm/v1/streams/movie-1/streaming?device=tv", token).status, 204);
        QCOMPARE(f.send("GET", "/oxm/v1/streams/counts", token).object(), (QJsonObject{{QStringLiteral("movie-1"), 1}}));

        // The database comes back: the same request succeeds and earlier data is intact.
        store.open();
        const Reply again = f.send(method, target, token);
        QVERIFY2(again.status == 200 || again.status == 204, again.body.constData());
        const Reply point = f.send("GET", "/oxm/v1/streams/movie-1", token);
        QCOMPARE(point.status, 200);
        const qint64 expectedProgress = target.contains("progress=99") ? 99 : 42;
        QCOMPARE(point.object().value(QStringLiteral("progress")).toInteger(), expectedProgress);
    }

    void diskFullAnswers503AndRecovers()
    {
        // A disk that refuses to grow the database's files: RLIMIT_FSIZE = 0 makes every write
        // that extends a file fail (EFBIG, as a full disk fails with ENOSPC; SQLite reports
        // SQLITE_IOERR_WRITE / SQLITE_FULL, both mapped to 503/1503). Writes in flight fail
        // whole (nothing half-written), reads go on, and writes succeed again when it clears.
        ServiceFixture f;
        const QByteArray token = f.token(QStringLiteral("acme"), QStringLiteral("bob"));
        const QByteArray admin = f.token(QStringLiteral("acme"), QStringLiteral("ops"), Principal::Role::Admin);
        QCOMPARE(f.send("PUT", "/oxm/v1/streams/movie-1/streaming?device=tv&progress=42", token).status, 204);
        QCOMPARE(f.send("PUT", "/oxm/v1/towatch/movie-2", token).status, 200);
        // The idle checkpoint truncates the WAL to 0 bytes (SqliteStore::Options::idleCheckpointMs),
        // so the next write must extend it.
        const QString wal = f.databasePath() + QStringLiteral("-wal");
        QTRY_COMPARE_WITH_TIMEOUT(QFileInfo(wal).size(), qint64(0), 5000);

        ::signal(SIGXFSZ, SIG_IGN); // a failed write, not a killed process
        rlimit old{};
        QVERIFY(::getrlimit(RLIMIT_FSIZE, &old) == 0);
        rlimit full = old;
        full.rlim_cur = 0;
        QVERIFY(::setrlimit(RLIMIT_FSIZE, &full) == 0);
        const Reply progress = f.send("PUT", "/oxm/v1/streams/movie-1/streaming?device=tv&progress=77", token);
        const Reply add = f.send("PUT", "/oxm/v1/towatch/movie-3", token);
        const Reply policy = f.send("PUT", "/oxm/v1/streampolicy/acme", admin, R"({"maxPerUser":1,"maxPerAsset":1,"maxDevices":1})");
        const Reply read = f.send("GET", "/oxm/v1/streams/movie-1", token);
        const Reply health = f.send("GET", "/healthz");
        QVERIFY(::setrlimit(RLIMIT_FSIZE, &old) == 0);

        for (const Reply *refused : {&progress, &add, &policy}) {
            QCOMPARE(refused->status, 503);
            QCOMPARE(refused->errorCode(), 1503);
            QVERIFY2(!refused->body.contains("SQL") && !refused->body.contains("sqlite") && !refused->body.contains("disk"),
                     refused->body.constData());
        }
        QCOMPARE(read.status, 200);
        QCOMPARE(read.object().value(QStringLiteral("progress")).toInteger(), 42);
        QCOMPARE(health.status, 200);

        // Nothing of the refused writes was stored ...
        QCOMPARE(f.send("GET", "/oxm/v1/streams/movie-1", token).object().value(QStringLiteral("progress")).toInteger(), 42);
        const QJsonArray list = f.send("GET", "/oxm/v1/towatch", token).object().value(QStringLiteral("assetIDs")).toArray();
        QCOMPARE(list, QJsonArray{QStringLiteral("movie-2")});
        QCOMPARE(f.send("GET", "/oxm/v1/streampolicy/acme", token).status, 404); // the failed PUT registered nothing
        // ... and with room again, the same writes succeed.
        QCOMPARE(f.send("PUT", "/oxm/v1/streams/movie-1/streaming?device=tv&progress=77", token).status, 204);
        QCOMPARE(f.send("GET", "/oxm/v1/streams/movie-1", token).object().value(QStringLiteral("progress")).toInteger(), 77);
        QCOMPARE(f.send("PUT", "/oxm/v1/towatch/movie-3", token).status, 200);
        QCOMPARE(f.send("PUT", "/oxm/v1/streampolicy/acme", admin, R"({"maxPerUser":1,"maxPerAsset":1,"maxDevices":1})").status, 200);
    }
};

QTEST_GUILESS_MAIN(TestStorageFaults)
#include "tst_storagefaults.moc"
