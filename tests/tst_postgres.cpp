// PostgreSQL backend (issue 5) beyond the store contract (tst_sqlitestore runs that on both
// backends): concurrent migrations, the shared JWT secret, several instances over one database
// (resume points and policy changes seen across them), and the faults seen in the field — a
// server restart (connections that still report open, prepared statements gone) and a server
// that is down. Needs OXM_TEST_POSTGRES_URL (scripts/with-backends.sh); the restart and outage
// tests start their own server with scripts/pg-test-server.sh so they do not disturb others.

#include "auth/tokenverifier.h"
#include "core/clock.h"
#include "domain/apierror.h"
#include "domain/policyservice.h"
#include "oxmservice.h"
#include "serveroptions.h"
#include "storage/postgresstore.h"
#include "testsupport.h"

#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <memory>
#include <vector>

using namespace oxm;
using namespace oxm::test;

namespace {

const QByteArray Api = "/oxm/v1";


/// A PostgreSQL server of this test's own (scripts/pg-test-server.sh), stopped by the destructor.
class OwnServer
{
public:
    OwnServer()
    {
        m_script = QFINDTESTDATA("../scripts/pg-test-server.sh");
        // As root the server runs as "nobody", which must be able to reach its directory.
        QFile::setPermissions(m_dir.path(), QFile::permissions(m_dir.path()) | QFileDevice::ExeOther | QFileDevice::ExeGroup);
        m_url = QString::fromUtf8(run(QStringLiteral("start")).trimmed());
    }
    ~OwnServer() { run(QStringLiteral("stop")); }
    QString url() const { return m_url; }
    QByteArray run(const QString &command)
    {
        QProcess process;
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process.start(QStringLiteral("bash"), {m_script, command, m_dir.filePath(QStringLiteral("pg"))});
        if (!process.waitForFinished(180000) || process.exitCode() != 0)
            qFatal("pg-test-server.sh %s failed", qPrintable(command));
        return process.readAllStandardOutput();
    }

private:
    QTemporaryDir m_dir;
    QString m_script;
    QString m_url;
};

/// An OxmService over the PostgreSQL database `url`, on a free loopback port.
std::unique_ptr<OxmService> startService(const QString &url)
{
    ServiceConfig config;
    config.port = 0;
    config.databaseUrl = url;
    config.jwtSecret = testSecret();
    auto service = std::make_unique<OxmService>(config);
    service->open();
    service->startListening();
    return service;
}

} // namespace

class TestPostgres : public QObject
{
    Q_OBJECT

private:
    SystemClock m_clock;
    std::unique_ptr<TestPostgresDatabase> m_db;

    QByteArray token(const QString &tenant, const QString &user,
                     Principal::Role role = Principal::Role::Subscriber) const
    {
        return TokenIssuer(testSecret(), m_clock).issue(tenant, user, role, {}, 3600);
    }
    static QByteArray progressTarget(const QByteArray &asset, int progress)
    {
        return Api + "/streams/" + asset + "/streaming?device=tv&progress=" + QByteArray::number(progress);
    }

private slots:
    void init()
    {
        if (TestPostgresDatabase::serverUrl().isEmpty())
            QSKIP(TestPostgresDatabase::skipMessage());
        m_db = std::make_unique<TestPostgresDatabase>();
    }
    void cleanup() { m_db.reset(); }

    void urlParsing_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<QString>("database");
        QTest::addRow("full") << "postgresql://u:p@db.example:6543/oxm" << "db.example" << 6543 << "u" << "p" << "oxm";
        QTest::addRow("default port") << "postgresql://u:p@10.0.0.5/oxm" << "10.0.0.5" << 5432 << "u" << "p" << "oxm";
        QTest::addRow("postgres scheme") << "postgres://u@h/d" << "h" << 5432 << "u" << "" << "d";
        QTest::addRow("percent-encoded password") << "postgresql://u:p%40ss%3Aw%2Frd%25@h:1/d" << "h" << 1 << "u"
                                            << "p@ss:w/rd%" << "d";
        QTest::addRow("percent-encoded user and db") << "postgresql://a%20b:x@h/my%20db" << "h" << 5432 << "a b" << "x"
                                               << "my db";
    }
    void urlParsing()
    {
        QFETCH(QString, url);
        const PostgresStore::ConnectionParameters p = PostgresStore::parseUrl(url);
        QTEST(p.host, "host");
        QTEST(p.port, "port");
        QTEST(p.user, "user");
        QTEST(p.password, "password");
        QTEST(p.database, "database");
        QVERIFY(!PostgresStore::redactedUrl(url).contains(QStringLiteral(":p@")));
    }

    void badUrlsRefused_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addRow("no database") << "postgresql://u:p@h:5432/";
        QTest::addRow("no path") << "postgresql://u:p@h:5432";
        QTest::addRow("nested path") << "postgresql://u:p@h/a/b";
        QTest::addRow("port not a number") << "postgresql://u:p@h:x/d";
    }
    void badUrlsRefused()
    {
        QFETCH(QString, url);
        QVERIFY_THROWS_EXCEPTION(StorageError, PostgresStore::parseUrl(url));
    }

    void concurrentInstancesMigrateOnce()
    {
        // 6 instances open a new database at once: each step is applied exactly once.
        constexpr int kInstances = 6;
        std::vector<std::unique_ptr<PostgresStore>> stores;
        for (int i = 0; i < kInstances; ++i)
            stores.push_back(std::make_unique<PostgresStore>(m_db->url()));
        QAtomicInt failures;
        std::vector<std::unique_ptr<QThread>> threads;
        for (int i = 0; i < kInstances; ++i) {
            threads.emplace_back(QThread::create([&, i] {
                try {
                    stores[size_t(i)]->open();
                } catch (const std::exception &e) {
                    qWarning("%s", e.what());
                    failures.ref();
                }
            }));
        }
        for (auto &thread : threads)
            thread->start();
        for (auto &thread : threads)
            QVERIFY(thread->wait(60000));
        QCOMPARE(failures.loadRelaxed(), 0);
        for (auto &store : stores)
            QCOMPARE(store->schemaVersion(), 3);
        QCOMPARE(TestPostgresDatabase::scalar(m_db->url(), QStringLiteral("SELECT count(*) FROM schema_migrations")).toInt(), 3);
        QCOMPARE(TestPostgresDatabase::scalar(m_db->url(), QStringLiteral("SELECT count(DISTINCT version) FROM schema_migrations")).toInt(), 3);
    }

    void identifiersUseByteWiseCollation()
    {
        // Whatever the database's default collation, ordering and equality are byte-wise.
        PostgresStore store(m_db->url());
        store.open();
        QCOMPARE(TestPostgresDatabase::scalar(m_db->url(), QStringLiteral("SELECT collation_name FROM information_schema.columns"
                                                    " WHERE table_schema = current_schema() AND table_name = 'tenants'"
                                                    " AND column_name = 'tenant'"))
                     .toString(),
                 QStringLiteral("C"));
        for (const QString &t : {QStringLiteral("b"), QStringLiteral("\u00e4"), QStringLiteral("a"), QStringLiteral("B")})
            QVERIFY(store.registerTenant(t));
        QCOMPARE(store.tenants(), (QStringList{QStringLiteral("B"), QStringLiteral("a"), QStringLiteral("b"),
                                               QStringLiteral("\u00e4")}));
    }

    void sharedSecretIsGeneratedOnce()
    {
        QByteArray secrets[4];
        std::vector<std::unique_ptr<QThread>> threads;
        for (int i = 0; i < 4; ++i)
            threads.emplace_back(QThread::create([&, i] { secrets[i] = PostgresStore::sharedJwtSecret(m_db->url()); }));
        for (auto &thread : threads)
            thread->start();
        for (auto &thread : threads)
            QVERIFY(thread->wait(60000));
        QCOMPARE(secrets[0].size(), 64); // 32 random bytes, hex
        for (const QByteArray &secret : secrets)
            QCOMPARE(secret, secrets[0]);
        // what oxm-server uses with neither --jwt-secret-file nor OXM_JWT_SECRET
        qunsetenv("OXM_JWT_SECRET");
        QCOMPARE(ServerOptions::loadSecret({}, {}, m_db->url()), secrets[0]);
        QCOMPARE(TestPostgresDatabase::scalar(m_db->url(), QStringLiteral("SELECT count(*) FROM settings")).toInt(), 1);
        // a secret file or OXM_JWT_SECRET still wins
        qputenv("OXM_JWT_SECRET", "from-env");
        QCOMPARE(ServerOptions::loadSecret({}, {}, m_db->url()), QByteArray("from-env"));
        qunsetenv("OXM_JWT_SECRET");
    }

    void twoInstancesShareResumePointsAndPolicies()
    {
        auto a = startService(m_db->url());
        auto b = startService(m_db->url());
        const QByteArray admin = token(QStringLiteral("acme"), QStringLiteral("root"), Principal::Role::Admin);
        const QByteArray alice = token(QStringLiteral("acme"), QStringLiteral("alice"));

        // a resume point written through A is read through B
        QCOMPARE(request(a->port(), "PUT", progressTarget("movie", 42), alice).status, 204);
        const Reply read = request(b->port(), "GET", Api + "/streams/movie", alice);
        QCOMPARE(read.status, 200);
        QCOMPARE(read.object().value(QStringLiteral("progress")).toInt(), 42);
        QCOMPARE(request(a->port(), "PUT", Api + "/streams/movie/stopped?device=tv", alice).status, 204);

        // a policy PUT through A is enforced by B (LISTEN/NOTIFY refreshes B's cache)
        QCOMPARE(request(a->port(), "PUT", Api + "/streampolicy/acme", admin,
                         R"({"maxPerUser":1,"maxPerAsset":0,"maxDevices":0})")
                     .status,
                 200);
        QTRY_COMPARE_WITH_TIMEOUT(b->policies().effectivePolicy(QStringLiteral("acme")), (StreamPolicy{1, 0, 0}), 5000);
        QCOMPARE(request(b->port(), "PUT", Api + "/streams/m1/streaming?device=tv", alice).status, 204);
        const Reply refused = request(b->port(), "PUT", Api + "/streams/m2/streaming?device=phone", alice);
        QCOMPARE(refused.status, 409);
        QCOMPARE(refused.errorCode(), 1050);
        // and changed back through B, A follows
        QCOMPARE(request(b->port(), "PUT", Api + "/streampolicy/acme", admin,
                         R"({"maxPerUser":0,"maxPerAsset":0,"maxDevices":2})")
                     .status,
                 200);
        QTRY_COMPARE_WITH_TIMEOUT(a->policies().effectivePolicy(QStringLiteral("acme")), (StreamPolicy{0, 0, 2}), 5000);
        // a tenant registered elsewhere (oxm-server tenant add) reaches the running instances
        PostgresStore other(m_db->url());
        other.open();
        QVERIFY(other.registerTenant(QStringLiteral("newco")));
        other.setPolicy(QStringLiteral("newco"), StreamPolicy{3, 2, 1});
        QTRY_COMPARE_WITH_TIMEOUT(a->policies().effectivePolicy(QStringLiteral("newco")), (StreamPolicy{3, 2, 1}), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(b->policies().effectivePolicy(QStringLiteral("newco")), (StreamPolicy{3, 2, 1}), 5000);
    }

    void fixtureFillsTheWatchlistInPostgres()
    {
        // ServiceFixture runs on PostgreSQL here, and bulkFillWatchlist writes there (tst_api
        // watchlistCap uses it on both backends): 9,999 + 1 reach the 10,000 cap (contract §6).
        ServiceFixture fixture;
        QVERIFY(!fixture.databaseUrl().isEmpty());
        QVERIFY(fixture.bulkFillWatchlist(QStringLiteral("t1"), QStringLiteral("u1"), 9999, QStringLiteral("bulk-"), 1));
        const QByteArray tok = fixture.token(QStringLiteral("t1"), QStringLiteral("u1"));
        QCOMPARE(fixture.send("PUT", Api + "/towatch/last", tok).status, 200);
        const Reply full = fixture.send("PUT", Api + "/towatch/one-too-many", tok);
        QCOMPARE(full.status, 400);
        QCOMPARE(full.errorCode(), 1104);
        const QJsonArray ids = fixture.send("GET", Api + "/towatch", tok).object().value(QStringLiteral("assetIDs")).toArray();
        QCOMPARE(ids.size(), 10000);
        QCOMPARE(ids.at(0).toString(), QStringLiteral("last"));
        QCOMPARE(ids.at(1).toString(), QStringLiteral("bulk-9998"));
    }

    void restartIsSurvived()
    {
        // pg_ctl restart -m fast cuts every connection and forgets every prepared statement;
        // the Qt connections still report open. Requests after the restart must succeed and
        // nothing committed before it may be lost.
        OwnServer server;
        auto service = startService(server.url());
        const quint16 port = service->port();
        const QByteArray alice = token(QStringLiteral("acme"), QStringLiteral("alice"));
        const QByteArray admin = token(QStringLiteral("acme"), QStringLiteral("root"), Principal::Role::Admin);
        // warm every HTTP thread's and writer's connection
        for (int i = 0; i < 20; ++i)
            QCOMPARE(request(port, "PUT", progressTarget("a" + QByteArray::number(i), 100 + i), alice).status, 204);
        QCOMPARE(request(port, "PUT", Api + "/towatch/w1", alice).status, 200);

        for (int round = 0; round < 2; ++round) {
            server.run(QStringLiteral("restart"));
            // the first requests after the restart: reads and writes, on every thread
            for (int i = 0; i < 20; ++i) {
                const Reply get = request(port, "GET", Api + "/streams/a" + QByteArray::number(i), alice);
                QCOMPARE(get.status, 200);
                QCOMPARE(get.object().value(QStringLiteral("progress")).toInt(), 100 + i + round * 1000);
                QCOMPARE(request(port, "PUT", progressTarget("a" + QByteArray::number(i), 100 + i + (round + 1) * 1000), alice)
                             .status,
                         204);
            }
            const Reply list = request(port, "GET", Api + "/towatch", alice);
            QCOMPARE(list.status, 200);
            QCOMPARE(list.object().value(QStringLiteral("assetIDs")).toArray().size(), 1);
            QCOMPARE(request(port, "PUT", Api + "/streampolicy/acme", admin,
                             R"({"maxPerUser":5,"maxPerAsset":0,"maxDevices":0})")
                         .status,
                     200);
        }
        // and all of it is in the database
        QCOMPARE(TestPostgresDatabase::scalar(server.url(), QStringLiteral("SELECT count(*) FROM resume_points WHERE progress >= 2100")).toInt(), 20);
    }

    void serverDownIs503AndRecovers()
    {
        OwnServer server;
        auto service = startService(server.url());
        const quint16 port = service->port();
        const QByteArray alice = token(QStringLiteral("acme"), QStringLiteral("alice"));
        QCOMPARE(request(port, "PUT", progressTarget("movie", 7), alice).status, 204);

        server.run(QStringLiteral("stop"));
        const Reply write = request(port, "PUT", progressTarget("movie", 8), alice);
        QCOMPARE(write.status, 503);
        QCOMPARE(write.errorCode(), 1503);
        const Reply read = request(port, "GET", Api + "/streams/movie", alice);
        QCOMPARE(read.status, 503);
        QCOMPARE(read.errorCode(), 1503);
        QCOMPARE(request(port, "PUT", Api + "/towatch/w", alice).status, 503);
        // what needs no database goes on (contract §8, docs/api.md "When the database is unavailable")
        QCOMPARE(request(port, "GET", "/healthz").status, 200);
        QCOMPARE(request(port, "PUT", Api + "/streams/movie/streaming?device=tv", alice).status, 204);

        server.run(QStringLiteral("start"));
        const Reply back = request(port, "GET", Api + "/streams/movie", alice);
        QCOMPARE(back.status, 200);
        QCOMPARE(back.object().value(QStringLiteral("progress")).toInt(), 7); // the refused write left nothing
        QCOMPARE(request(port, "PUT", progressTarget("movie", 9), alice).status, 204);
        QCOMPARE(request(port, "GET", Api + "/streams/movie", alice).object().value(QStringLiteral("progress")).toInt(), 9);
    }
};

QTEST_GUILESS_MAIN(TestPostgres)
#include "tst_postgres.moc"
