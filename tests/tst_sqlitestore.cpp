// Unit tests of the DurableStore implementations: SqliteStore (issue 2) and PostgresStore
// (issue 5). Every test runs once per backend (initTestCase_data); the PostgreSQL row needs
// OXM_TEST_POSTGRES_URL (scripts/with-backends.sh) and skips without it, each test on a fresh
// database. Tests of SQLite specifics (WAL, files, its migration API) skip the PostgreSQL row.

#include "domain/apierror.h"
#include "storage/migrations.h"
#include "storage/postgresstore.h"
#include "storage/sqlitestore.h"
#include "testsupport.h"

#include <QAtomicInt>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QSqlDatabase>
#include <QSqlError>
#include <QRegularExpression>
#include <QSemaphore>
#include <QSet>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <memory>
#include <thread>
#include <vector>

using namespace oxm;

namespace {

/// A raw QSQLITE connection on the test thread, for building or inspecting files by hand.
class RawDb
{
public:
    explicit RawDb(const QString &path)
        : m_name(QStringLiteral("raw-%1").arg(++s_counter))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
        if (!db.open())
            qFatal("cannot open %s", qPrintable(path));
    }
    ~RawDb()
    {
        {
            QSqlDatabase db = QSqlDatabase::database(m_name, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_name);
    }
    QSqlDatabase db() const { return QSqlDatabase::database(m_name, false); }

    /// Executes sql; returns the first column of the first row (or an invalid QVariant).
    QVariant exec(const QString &sql, const QVariantList &binds = {}) const
    {
        QSqlQuery query(db());
        if (!query.prepare(sql))
            qFatal("prepare failed: %s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
        for (const QVariant &value : binds)
            query.addBindValue(value);
        if (!query.exec())
            qFatal("exec failed: %s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
        return query.next() ? query.value(0) : QVariant();
    }
    bool tryExec(const QString &sql) const
    {
        QSqlQuery query(db());
        return query.exec(sql);
    }

private:
    static inline int s_counter = 0;
    QString m_name;
};

ResumePoint point(const QString &tenant, const QString &user, const QString &asset,
                  qint64 progress, qint64 updatedNs)
{
    return ResumePoint{tenant, user, asset, progress, updatedNs};
}

QStringList historyAssets(const QList<ResumePoint> &points)
{
    QStringList ids;
    for (const ResumePoint &p : points)
        ids.append(p.assetId);
    return ids;
}

QStringList ids(const QList<CatalogAsset> &assets)
{
    QStringList result;
    for (const CatalogAsset &a : assets)
        result.append(a.id);
    return result;
}

} // namespace

class TestDurableStore : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_backend;
    std::unique_ptr<test::TestPostgresDatabase> m_postgres;
    QString dbPath() const { return m_dir->filePath(QStringLiteral("oxm.sqlite")); }
    bool postgres() const { return m_backend == QLatin1String("postgresql"); }
    /// A store of the current backend over this test's database.
    std::unique_ptr<DurableStore> openStore()
    {
        if (postgres()) {
            auto store = std::make_unique<PostgresStore>(m_postgres->url());
            store->open();
            return store;
        }
        return openSqlite();
    }
    std::unique_ptr<SqliteStore> openSqlite(const SqliteStore::Options &options = {})
    {
        auto store = std::make_unique<SqliteStore>(dbPath(), options);
        store->open();
        return store;
    }
    /// Connections the store holds for calling threads.
    static int connectionCount(DurableStore &store)
    {
        if (auto *sqlite = dynamic_cast<SqliteStore *>(&store))
            return sqlite->readConnectionCount();
        return dynamic_cast<PostgresStore &>(store).connectionCount();
    }
#define REQUIRE_SQLITE()                                                                           \
    do {                                                                                           \
        if (postgres())                                                                            \
            QSKIP("SQLite-specific (WAL, database files, SQLite's migration API)");                \
    } while (false)

private slots:
    void initTestCase_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addRow("sqlite") << QStringLiteral("sqlite");
        QTest::addRow("postgresql") << QStringLiteral("postgresql");
    }
    void init()
    {
        QFETCH_GLOBAL(QString, backend);
        m_backend = backend;
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        if (postgres()) {
            if (test::TestPostgresDatabase::serverUrl().isEmpty())
                QSKIP(test::TestPostgresDatabase::skipMessage());
            m_postgres = std::make_unique<test::TestPostgresDatabase>();
        }
    }
    void cleanup()
    {
        m_postgres.reset();
        m_dir.reset();
    }

    // --- tenants and policies ---

    void policyRoundTrip_data()
    {
        QTest::addColumn<int>("maxPerUser");
        QTest::addColumn<int>("maxPerAsset");
        QTest::addColumn<int>("maxDevices");
        QTest::addRow("zeros") << 0 << 0 << 0;
        QTest::addRow("typical") << 3 << 2 << 1;
        QTest::addRow("distinct") << 7 << 5 << 11;
        QTest::addRow("maximum") << 1000000 << 1000000 << 1000000;
    }
    void policyRoundTrip()
    {
        QFETCH(int, maxPerUser);
        QFETCH(int, maxPerAsset);
        QFETCH(int, maxDevices);
        const StreamPolicy policy{maxPerUser, maxPerAsset, maxDevices};
        auto store = openStore();
        store->setPolicy(QStringLiteral("acme"), StreamPolicy{9, 9, 9});
        store->setPolicy(QStringLiteral("acme"), policy); // replaces
        QCOMPARE(store->policy(QStringLiteral("acme")), std::optional<StreamPolicy>(policy));
        QCOMPARE(store->allPolicies().size(), 1);
        QCOMPARE(store->allPolicies().value(QStringLiteral("acme")), policy);
        QCOMPARE(store->tenants(), QStringList{QStringLiteral("acme")});
        store.reset();
        QCOMPARE(openStore()->policy(QStringLiteral("acme")), std::optional<StreamPolicy>(policy));
    }

    void unregisteredTenant()
    {
        auto store = openStore();
        QCOMPARE(store->policy(QStringLiteral("nobody")), std::nullopt);
        QVERIFY(store->allPolicies().isEmpty());
        QVERIFY(store->tenants().isEmpty());
        store->registerTenant(QStringLiteral("Acme"));
        QCOMPARE(store->policy(QStringLiteral("acme")), std::nullopt); // case-sensitive
    }

    void registerTenantIsIdempotent()
    {
        auto store = openStore();
        QCOMPARE(store->registerTenant(QStringLiteral("acme")), true);
        QCOMPARE(store->registerTenant(QStringLiteral("acme")), false);
        QCOMPARE(store->policy(QStringLiteral("acme")), std::optional<StreamPolicy>(StreamPolicy{}));
        store->setPolicy(QStringLiteral("acme"), StreamPolicy{4, 2, 3});
        QCOMPARE(store->registerTenant(QStringLiteral("acme")), false); // keeps the policy
        QCOMPARE(store->policy(QStringLiteral("acme")),
                 std::optional<StreamPolicy>(StreamPolicy{4, 2, 3}));
        store->setPolicy(QStringLiteral("beta"), StreamPolicy{1, 1, 1}); // registers
        QCOMPARE(store->registerTenant(QStringLiteral("beta")), false);
        QCOMPARE(store->tenants(), (QStringList{QStringLiteral("acme"), QStringLiteral("beta")}));
    }

    void tenantsSortedByteWise()
    {
        auto store = openStore();
        for (const QString &t : {QStringLiteral("b"), QStringLiteral("\u00e4"),
                                 QStringLiteral("a"), QStringLiteral("B")})
            QVERIFY(store->registerTenant(t));
        // UTF-8 byte order: 'B' 0x42 < 'a' 0x61 < 'b' 0x62 < 'ä' 0xC3 0xA4
        QCOMPARE(store->tenants(), (QStringList{QStringLiteral("B"), QStringLiteral("a"),
                                                QStringLiteral("b"), QStringLiteral("\u00e4")}));
    }

    // --- resume points ---

    void resumePointUpsertReplaces()
    {
        auto store = openStore();
        const QString t = QStringLiteral("t"), u = QStringLiteral("u"), a = QStringLiteral("a");
        QCOMPARE(store->resumePoint(t, u, a).has_value(), false);
        store->saveResumePoint(point(t, u, a, 10, 1000));
        store->saveResumePoint(point(t, u, a, 2147483647, 1500)); // later receive time: replaces
        auto read = store->resumePoint(t, u, a);
        QVERIFY(read.has_value());
        QCOMPARE(read->tenant, t);
        QCOMPARE(read->userId, u);
        QCOMPARE(read->assetId, a);
        QCOMPARE(read->progress, 2147483647);
        QCOMPARE(read->updatedNs, 1500);
        // A write received earlier that commits later (out of order) does not win.
        store->saveResumePoint(point(t, u, a, 7, 1200));
        read = store->resumePoint(t, u, a);
        QCOMPARE(read->progress, 2147483647);
        QCOMPARE(read->updatedNs, 1500);
        QCOMPARE(store->history(t, u).size(), 1);
    }

    void historyMostRecentFirst()
    {
        auto store = openStore();
        const QString t = QStringLiteral("t"), u = QStringLiteral("u");
        store->saveResumePoint(point(t, u, QStringLiteral("a1"), 1, 300));
        store->saveResumePoint(point(t, u, QStringLiteral("a2"), 2, 100));
        store->saveResumePoint(point(t, u, QStringLiteral("a3"), 3, 200));
        store->saveResumePoint(point(t, u, QStringLiteral("a0"), 4, 200)); // tie: by asset id
        store->saveResumePoint(point(t, QStringLiteral("other"), QStringLiteral("x"), 5, 999));
        store->saveResumePoint(point(QStringLiteral("t2"), u, QStringLiteral("y"), 6, 999));
        const QList<ResumePoint> h = store->history(t, u);
        QCOMPARE(historyAssets(h), (QStringList{QStringLiteral("a1"), QStringLiteral("a0"),
                                                QStringLiteral("a3"), QStringLiteral("a2")}));
        QCOMPARE(h.at(0).progress, 1);
        QCOMPARE(h.at(0).updatedNs, 300);
        QCOMPARE(h.at(3).progress, 2);
        QCOMPARE(h.at(3).updatedNs, 100);
        // an update moves it to the front
        store->saveResumePoint(point(t, u, QStringLiteral("a2"), 7, 400));
        QCOMPARE(historyAssets(store->history(t, u)),
                 (QStringList{QStringLiteral("a2"), QStringLiteral("a1"), QStringLiteral("a0"),
                              QStringLiteral("a3")}));
        QVERIFY(store->history(t, QStringLiteral("nobody")).isEmpty());
    }

    void deleteResumePoint()
    {
        auto store = openStore();
        const QString t = QStringLiteral("t"), u = QStringLiteral("u");
        store->saveResumePoint(point(t, u, QStringLiteral("a"), 1, 10));
        store->saveResumePoint(point(t, u, QStringLiteral("b"), 2, 20));
        store->saveResumePoint(point(t, QStringLiteral("v"), QStringLiteral("a"), 3, 30));
        QCOMPARE(store->deleteResumePoint(t, u, QStringLiteral("a")), true);
        QCOMPARE(store->deleteResumePoint(t, u, QStringLiteral("a")), false);
        QCOMPARE(store->deleteResumePoint(t, u, QStringLiteral("never")), false);
        QCOMPARE(store->resumePoint(t, u, QStringLiteral("a")).has_value(), false);
        QCOMPARE(historyAssets(store->history(t, u)), QStringList{QStringLiteral("b")});
        QCOMPARE(store->resumePoint(t, QStringLiteral("v"), QStringLiteral("a"))->progress, 3);
    }

    // --- identifiers are byte-exact ---

    void idsAreByteExact_data()
    {
        QTest::addColumn<QString>("id");
        QTest::addColumn<QString>("other");
        QTest::addRow("case") << QStringLiteral("A") << QStringLiteral("a");
        QTest::addRow("case-long") << QStringLiteral("Movie-XYZ") << QStringLiteral("movie-xyz");
        QTest::addRow("non-ascii")
            << QStringLiteral("\u00dcber-\u65e5\u672c-\U0001F3AC") << QStringLiteral("\u00fcber-\u65e5\u672c-\U0001F3AC");
        QTest::addRow("like-wildcards") << QStringLiteral("a%") << QStringLiteral("a_");
        QTest::addRow("quote-backslash") << QStringLiteral("it's\\") << QStringLiteral("its\\");
        QTest::addRow("trailing-space") << QStringLiteral("x ") << QStringLiteral("x");
        QTest::addRow("256-ascii") << QString(256, QLatin1Char('z')) << QString(255, QLatin1Char('z'));
        QTest::addRow("256-bytes-utf8") << QString(128, QChar(0x00e9)) // é = 2 bytes in UTF-8
                                        << QString(128, QChar(0x00c9));
    }
    void idsAreByteExact()
    {
        QFETCH(QString, id);
        QFETCH(QString, other);
        QVERIFY(id != other);
        auto store = openStore();
        const QString t = QStringLiteral("t"), u = QStringLiteral("u");

        store->saveResumePoint(point(t, u, id, 1, 10));
        store->saveResumePoint(point(t, u, other, 2, 20));
        QCOMPARE(store->resumePoint(t, u, id)->progress, 1);
        QCOMPARE(store->resumePoint(t, u, id)->assetId.toUtf8(), id.toUtf8());
        QCOMPARE(store->resumePoint(t, u, other)->progress, 2);
        QCOMPARE(historyAssets(store->history(t, u)), (QStringList{other, id}));
        // the id as tenant and user too
        store->saveResumePoint(point(id, id, id, 3, 30));
        QCOMPARE(store->resumePoint(other, other, id).has_value(), false);
        QCOMPARE(store->resumePoint(id, id, id)->progress, 3);

        QCOMPARE(store->addToWatchlist(t, u, id, 1, 10), DurableStore::WatchlistAdd::Added);
        QCOMPARE(store->addToWatchlist(t, u, other, 2, 10), DurableStore::WatchlistAdd::Added);
        QCOMPARE(store->watchlist(t, u), (QStringList{other, id}));
        QCOMPARE(store->removeFromWatchlist(t, u, id), true);
        QCOMPARE(store->watchlist(t, u), QStringList{other});

        QVERIFY(store->registerTenant(id));
        QVERIFY(store->registerTenant(other));
        store->setPolicy(id, StreamPolicy{1, 1, 1});
        QCOMPARE(store->policy(other), std::optional<StreamPolicy>(StreamPolicy{}));

        const QByteArray json = "{\"id\":\"" + id.toUtf8() + "\"}";
        store->importCatalog({CatalogAsset{id, json}});
        QCOMPARE(store->catalogAssets({id, other}).size(), 1);
        QCOMPARE(store->catalogAssets({id}).value(id), json);
        QCOMPARE(store->catalogAssets({id}).constBegin().key().toUtf8(), id.toUtf8());

        // and again after a reopen (stored, not just cached)
        store.reset();
        store = openStore();
        QCOMPARE(store->resumePoint(t, u, other)->progress, 2);
        QCOMPARE(store->watchlist(t, u), QStringList{other});
        QCOMPARE(store->catalogAssets({id}).value(id), json);
    }

    // --- watchlist ---

    void watchlistOrder()
    {
        using Add = DurableStore::WatchlistAdd;
        auto store = openStore();
        const QString t = QStringLiteral("t"), u = QStringLiteral("u");
        QVERIFY(store->watchlist(t, u).isEmpty());
        QCOMPARE(store->addToWatchlist(t, u, QStringLiteral("a"), 100, 10), Add::Added);
        QCOMPARE(store->addToWatchlist(t, u, QStringLiteral("b"), 200, 10), Add::Added);
        QCOMPARE(store->addToWatchlist(t, u, QStringLiteral("c"), 300, 10), Add::Added);
        QCOMPARE(store->addToWatchlist(t, QStringLiteral("v"), QStringLiteral("z"), 400, 10),
                 Add::Added);
        QCOMPARE(store->watchlist(t, u),
                 (QStringList{QStringLiteral("c"), QStringLiteral("b"), QStringLiteral("a")}));
        // re-adding keeps the original position
        QCOMPARE(store->addToWatchlist(t, u, QStringLiteral("a"), 500, 10), Add::AlreadyPresent);
        QCOMPARE(store->watchlist(t, u),
                 (QStringList{QStringLiteral("c"), QStringLiteral("b"), QStringLiteral("a")}));
        // remove + re-add makes it the newest, also for the newest entry itself
        QCOMPARE(store->removeFromWatchlist(t, u, QStringLiteral("b")), true);
        QCOMPARE(store->removeFromWatchlist(t, u, QStringLiteral("b")), false);
        QCOMPARE(store->watchlist(t, u), (QStringList{QStringLiteral("c"), QStringLiteral("a")}));
        QCOMPARE(store->addToWatchlist(t, u, QStringLiteral("b"), 600, 10), Add::Added);
        QCOMPARE(store->watchlist(t, u),
                 (QStringList{QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("a")}));
        QCOMPARE(store->removeFromWatchlist(t, u, QStringLiteral("b")), true);
        QCOMPARE(store->addToWatchlist(t, u, QStringLiteral("d"), 700, 10), Add::Added);
        QCOMPARE(store->addToWatchlist(t, u, QStringLiteral("a"), 800, 10), Add::AlreadyPresent);
        QCOMPARE(store->watchlist(t, u),
                 (QStringList{QStringLiteral("d"), QStringLiteral("c"), QStringLiteral("a")}));
        // order survives a reopen; other user untouched
        store.reset();
        store = openStore();
        QCOMPARE(store->watchlist(t, u),
                 (QStringList{QStringLiteral("d"), QStringLiteral("c"), QStringLiteral("a")}));
        QCOMPARE(store->watchlist(t, QStringLiteral("v")), QStringList{QStringLiteral("z")});
        QCOMPARE(store->removeFromWatchlist(t, QStringLiteral("v"), QStringLiteral("a")), false);
    }

    void watchlistLimit_data()
    {
        QTest::addColumn<int>("limit");
        QTest::addRow("1") << 1;
        QTest::addRow("3") << 3;
        QTest::addRow("50") << 50;
    }
    void watchlistLimit()
    {
        using Add = DurableStore::WatchlistAdd;
        QFETCH(int, limit);
        auto store = openStore();
        const QString t = QStringLiteral("t"), u = QStringLiteral("u");
        for (int i = 0; i < limit; ++i)
            QCOMPARE(store->addToWatchlist(t, u, QString::number(i), i, limit), Add::Added);
        QCOMPARE(store->addToWatchlist(t, u, QStringLiteral("one-too-many"), 0, limit), Add::Full);
        QCOMPARE(store->watchlist(t, u).size(), limit);
        QVERIFY(!store->watchlist(t, u).contains(QStringLiteral("one-too-many")));
        // a present entry is still AlreadyPresent when full
        QCOMPARE(store->addToWatchlist(t, u, QStringLiteral("0"), 0, limit), Add::AlreadyPresent);
        // another user has their own count
        QCOMPARE(store->addToWatchlist(t, QStringLiteral("v"), QStringLiteral("x"), 0, limit),
                 Add::Added);
        // room again after a removal
        QVERIFY(store->removeFromWatchlist(t, u, QStringLiteral("0")));
        QCOMPARE(store->addToWatchlist(t, u, QStringLiteral("new"), 0, limit), Add::Added);
        QCOMPARE(store->watchlist(t, u).first(), QStringLiteral("new"));
        QCOMPARE(store->addToWatchlist(t, u, QStringLiteral("again"), 0, limit), Add::Full);
        // a larger limit lets more in
        QCOMPARE(store->addToWatchlist(t, u, QStringLiteral("again"), 0, limit + 1), Add::Added);
        QCOMPARE(store->watchlist(t, u).size(), limit + 1);
    }

    void watchlistLimitIsAtomic()
    {
        // 8 threads race to add 25 distinct assets each to one user with a limit of 60:
        // exactly 60 are Added, the other 140 are Full.
        using Add = DurableStore::WatchlistAdd;
        auto store = openStore();
        QAtomicInt added, full, other;
        std::vector<std::unique_ptr<QThread>> threads;
        for (int n = 0; n < 8; ++n) {
            threads.emplace_back(QThread::create([&, n] {
                for (int i = 0; i < 25; ++i) {
                    try {
                        const Add r = store->addToWatchlist(
                            QStringLiteral("t"), QStringLiteral("u"),
                            QStringLiteral("%1-%2").arg(n).arg(i), i, 60);
                        (r == Add::Added ? added : r == Add::Full ? full : other).ref();
                    } catch (const std::exception &) {
                        other.ref();
                    }
                }
            }));
            threads.back()->start();
        }
        for (auto &thread : threads)
            QVERIFY(thread->wait(60000));
        QCOMPARE(added.loadRelaxed(), 60);
        QCOMPARE(full.loadRelaxed(), 140);
        QCOMPARE(other.loadRelaxed(), 0);
        QCOMPARE(store->watchlist(QStringLiteral("t"), QStringLiteral("u")).size(), 60);
    }

    // --- catalog ---

    void catalogImportAndLookup()
    {
        auto store = openStore();
        QCOMPARE(store->catalogSize(), 0);
        // stored verbatim: whitespace, key order and non-ASCII untouched
        const QByteArray x1 = "{ \"id\": \"x\",  \"name\": \"Caf\xc3\xa9\" }";
        const QByteArray y1 = "{\"name\":\"Y\",\"id\":\"y\",\"genres\":[\"a\",\"b\"]}";
        const QByteArray x2 = "{\"id\":\"x\",\"name\":\"X2\"}";
        QCOMPARE(store->importCatalog({{QStringLiteral("x"), x1}, {QStringLiteral("y"), y1}}), 2);
        QCOMPARE(store->catalogSize(), 2);
        QCOMPARE(store->catalogAssets({QStringLiteral("x")}).value(QStringLiteral("x")), x1);
        QCOMPARE(store->importCatalog({{QStringLiteral("x"), x2}}), 1); // replaces by id
        QCOMPARE(store->catalogSize(), 2);
        QCOMPARE(store->importCatalog({}), 0);
        const QHash<QString, QByteArray> found = store->catalogAssets(
            {QStringLiteral("x"), QStringLiteral("missing"), QStringLiteral("y"),
             QStringLiteral("X"), QStringLiteral("x")});
        QCOMPARE(found.size(), 2);
        QCOMPARE(found.value(QStringLiteral("x")), x2);
        QCOMPARE(found.value(QStringLiteral("y")), y1);
        QVERIFY(store->catalogAssets({}).isEmpty());
        QVERIFY(store->catalogAssets({QStringLiteral("missing")}).isEmpty());
        QCOMPARE(store->importCatalog({{QStringLiteral("empty"), QByteArray()}}), 1);
        QCOMPARE(store->catalogAssets({QStringLiteral("empty")}).value(QStringLiteral("empty"),
                                                                       "absent"),
                 QByteArray(""));
        store.reset();
        if (postgres())
            return;
        RawDb raw(dbPath());
        QCOMPARE(raw.exec(QStringLiteral("SELECT typeof(metadata) FROM catalog WHERE asset_id = 'y'"))
                     .toString(),
                 QStringLiteral("text"));
    }

    void catalogLookupManyIds()
    {
        auto store = openStore();
        QList<CatalogAsset> assets;
        for (int i = 0; i < 1200; ++i)
            assets.append({QStringLiteral("asset-%1").arg(i),
                           QStringLiteral("{\"id\":\"asset-%1\",\"n\":%1}").arg(i).toUtf8()});
        QCOMPARE(store->importCatalog(assets), 1200);
        QCOMPARE(store->catalogSize(), 1200);
        QStringList wanted;
        for (int i = 10000 - 1; i >= 0; --i) // 10,000 ids, 8,800 missing, in reverse order
            wanted.append(QStringLiteral("asset-%1").arg(i));
        wanted.append(QStringLiteral("asset-7")); // duplicate
        const QHash<QString, QByteArray> found = store->catalogAssets(wanted);
        QCOMPARE(found.size(), 1200);
        for (int i = 0; i < 1200; ++i)
            QCOMPARE(found.value(QStringLiteral("asset-%1").arg(i)),
                     QStringLiteral("{\"id\":\"asset-%1\",\"n\":%1}").arg(i).toUtf8());
        // the read transaction of a many-chunk lookup was closed: a later write is seen
        store->importCatalog({{QStringLiteral("asset-5000"), "{}"}});
        QCOMPARE(store->catalogAssets(wanted).size(), 1201);
    }

    void searchCatalog_data()
    {
        QTest::addColumn<QString>("search");
        QTest::addColumn<int>("limit");
        QTest::addColumn<QStringList>("expected");
        const QStringList all{QStringLiteral("A-1"), QStringLiteral("b-2"),
                              QStringLiteral("c-3"), QStringLiteral("d-4")};
        QTest::addRow("empty = all by id") << QString() << 10 << all;
        QTest::addRow("empty, limit 2") << QString() << 2 << all.mid(0, 2);
        QTest::addRow("limit 0") << QString() << 0 << QStringList();
        QTest::addRow("id, other case") << QStringLiteral("a-1") << 10 << QStringList{all[0]};
        QTest::addRow("metadata, other case")
            << QStringLiteral("matrix") << 10 << QStringList{all[1], all[3]};
        QTest::addRow("metadata, limit 1") << QStringLiteral("MATRIX") << 1 << QStringList{all[1]};
        QTest::addRow("percent is literal") << QStringLiteral("100%") << 10 << QStringList{all[2]};
        QTest::addRow("underscore is literal") << QStringLiteral("x_y") << 10 << QStringList{all[3]};
        QTest::addRow("non-ascii, other case")
            << QStringLiteral("\u00c9T\u00c9") << 10 << QStringList{all[2]};
        QTest::addRow("no match") << QStringLiteral("nothing-like-it") << 10 << QStringList();
    }
    void searchCatalog()
    {
        QFETCH(QString, search);
        QFETCH(int, limit);
        QFETCH(QStringList, expected);
        auto store = openStore();
        store->importCatalog({
            {QStringLiteral("d-4"), "{\"id\":\"d-4\",\"name\":\"Matrix Reloaded\",\"k\":\"x_y\"}"},
            {QStringLiteral("b-2"), "{\"id\":\"b-2\",\"name\":\"The Matrix\"}"},
            {QStringLiteral("c-3"), "{\"id\":\"c-3\",\"name\":\"\xc3\xa9t\xc3\xa9 100%\"}"},
            {QStringLiteral("A-1"), "{\"id\":\"A-1\",\"name\":\"Alien\",\"k\":\"xzy\"}"},
        });
        const QList<CatalogAsset> result = store->searchCatalog(search, limit);
        QCOMPARE(ids(result), expected);
        for (const CatalogAsset &asset : result)
            QCOMPARE(asset.json, store->catalogAssets({asset.id}).value(asset.id));
    }

    // --- atomicity of one write ---

    void failingWriteLeavesNothing()
    {
        auto store = openStore();
        store->importCatalog({{QStringLiteral("keep"), "{}"}});
        // the second asset violates CHECK (asset_id <> ''): the whole import rolls back
        try {
            store->importCatalog({{QStringLiteral("new"), "{}"}, {QStringLiteral(""), "{}"}});
            QFAIL("no StorageError");
        } catch (const StorageError &e) {
            QVERIFY(!e.isTransient());
            QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("check constraint"), Qt::CaseInsensitive),
                     e.what());
        }
        QCOMPARE(store->catalogSize(), 1);
        QVERIFY(store->catalogAssets({QStringLiteral("new")}).isEmpty());
        QVERIFY_THROWS_EXCEPTION(StorageError,
                                 store->saveResumePoint(point("t", "u", "a", -1, 1)));
        QCOMPARE(store->resumePoint("t", "u", "a").has_value(), false);
        // and the store keeps working
        store->saveResumePoint(point("t", "u", "a", 5, 1));
        QCOMPARE(store->resumePoint("t", "u", "a")->progress, 5);
    }

    void failingJobsInBatchRollBackAlone()
    {
        // 8 threads interleave valid and invalid writes, so batches mix both: every valid write
        // is stored, every invalid one threw and left nothing.
        auto store = openStore();
        QAtomicInt okCount, errorCount, unexpected;
        std::vector<std::unique_ptr<QThread>> threads;
        for (int n = 0; n < 8; ++n) {
            threads.emplace_back(QThread::create([&, n] {
                const QString user = QStringLiteral("u%1").arg(n);
                for (int i = 0; i < 100; ++i) {
                    const bool valid = i % 2 == 0;
                    try {
                        store->saveResumePoint(
                            point("t", user, QString::number(i), valid ? i : -i - 1, i));
                        (valid ? okCount : unexpected).ref();
                    } catch (const StorageError &) {
                        (valid ? unexpected : errorCount).ref();
                    }
                }
            }));
            threads.back()->start();
        }
        for (auto &thread : threads)
            QVERIFY(thread->wait(60000));
        QCOMPARE(unexpected.loadRelaxed(), 0);
        QCOMPARE(okCount.loadRelaxed(), 400);
        QCOMPARE(errorCount.loadRelaxed(), 400);
        for (int n = 0; n < 8; ++n) {
            const QList<ResumePoint> h = store->history("t", QStringLiteral("u%1").arg(n));
            QCOMPARE(h.size(), 50);
            for (const ResumePoint &p : h)
                QCOMPARE(p.progress, p.assetId.toInt());
        }
    }

    void asyncResumePointWrites()
    {
        // saveResumePointAsync (issue 6): SQLite takes the write into its writer's group commit
        // and calls `done` once per write, on the writer thread, after the commit; a write that
        // breaks a constraint (progress -1) gets its StorageError and leaves nothing; the others
        // in its batch are stored. PostgreSQL has no asynchronous path: false, nothing written.
        auto store = openStore();
        if (postgres()) {
            bool called = false;
            QCOMPARE(store->saveResumePointAsync(point("t", "u", "a", 1, 1),
                                                 [&](std::exception_ptr) { called = true; }),
                     false);
            QVERIFY(!called);
            QCOMPARE(store->resumePoint("t", "u", "a").has_value(), false);
            return;
        }
        constexpr int kThreads = 4, kWrites = 100; // per thread; every other one invalid
        QMutex mutex;
        QHash<QString, int> calls;     // "user/asset" -> times done was called
        QHash<QString, bool> failed;   // "user/asset" -> done got an error
        QSet<Qt::HANDLE> doneThreads;  // threads that ran done
        QSet<Qt::HANDLE> callerThreads;
        QSemaphore completions;
        std::vector<std::unique_ptr<QThread>> threads;
        for (int n = 0; n < kThreads; ++n) {
            threads.emplace_back(QThread::create([&, n] {
                {
                    QMutexLocker lock(&mutex);
                    callerThreads.insert(QThread::currentThreadId());
                }
                const QString user = QStringLiteral("u%1").arg(n);
                for (int i = 0; i < kWrites; ++i) {
                    const QString key = user + QLatin1Char('/') + QString::number(i);
                    const bool valid = i % 2 == 0;
                    const bool taken = store->saveResumePointAsync(
                        point("t", user, QString::number(i), valid ? i : -1, i + 1),
                        [&, key](std::exception_ptr error) {
                            bool storageError = false;
                            try {
                                if (error)
                                    std::rethrow_exception(error);
                            } catch (const StorageError &) {
                                storageError = true;
                            } catch (...) {
                            }
                            {
                                QMutexLocker lock(&mutex);
                                ++calls[key];
                                failed[key] = storageError;
                                doneThreads.insert(QThread::currentThreadId());
                            }
                            completions.release();
                        });
                    if (!taken)
                        return;
                }
            }));
            threads.back()->start();
        }
        for (auto &thread : threads)
            QVERIFY(thread->wait(60000));
        QVERIFY(completions.tryAcquire(kThreads * kWrites, 60000));
        QTest::qWait(50); // a second call of some done would show now
        QMutexLocker lock(&mutex);
        QCOMPARE(calls.size(), kThreads * kWrites);
        for (auto it = calls.cbegin(); it != calls.cend(); ++it) {
            QCOMPARE(it.value(), 1);
            const bool valid = it.key().section(QLatin1Char('/'), 1).toInt() % 2 == 0;
            QVERIFY2(failed.value(it.key()) == !valid, qPrintable(it.key()));
        }
        QCOMPARE(doneThreads.size(), 1); // the writer thread, none of the callers
        QVERIFY(!callerThreads.contains(*doneThreads.cbegin()));
        for (int n = 0; n < kThreads; ++n) {
            const QList<ResumePoint> h = store->history("t", QStringLiteral("u%1").arg(n));
            QCOMPARE(h.size(), kWrites / 2);
            for (const ResumePoint &p : h)
                QCOMPARE(p.progress, p.assetId.toInt());
        }
    }

    void asyncResumePointWritesDrainOnClose()
    {
        REQUIRE_SQLITE();
        // close() right after 300 asynchronous writes: every one is committed and completed
        // before close() returns, and the reopened file has them all.
        auto store = openSqlite();
        QAtomicInt ok, errors;
        constexpr int kWrites = 300;
        for (int i = 0; i < kWrites; ++i)
            QVERIFY(store->saveResumePointAsync(point("t", "u", QString::number(i), i, i + 1),
                                                [&](std::exception_ptr error) {
                                                    (error ? errors : ok).ref();
                                                }));
        store->close();
        QCOMPARE(ok.loadRelaxed(), kWrites);
        QCOMPARE(errors.loadRelaxed(), 0);
        // a closed store takes no asynchronous write (transient: the service answers 503)
        try {
            store->saveResumePointAsync(point("t", "u", "x", 1, 1), [](std::exception_ptr) {});
            QFAIL("a closed store took an asynchronous write");
        } catch (const StorageError &e) {
            QVERIFY(e.isTransient());
        }
        store.reset();
        auto reopened = openSqlite();
        QCOMPARE(reopened->history("t", "u").size(), kWrites);
    }

    // --- schema and migrations ---

    void freshDatabaseSchema()
    {
        REQUIRE_SQLITE();
        auto store = openSqlite();
        QCOMPARE(store->schemaVersion(), sqlschema::latestVersion());
        QCOMPARE(sqlschema::latestVersion(), 3);
        store.reset();
        RawDb raw(dbPath());
        QCOMPARE(raw.exec(QStringLiteral("PRAGMA journal_mode")).toString(), QStringLiteral("wal"));
        QCOMPARE(raw.exec(QStringLiteral("SELECT count(*) FROM schema_migrations")).toInt(), 3);
        QCOMPARE(raw.exec(QStringLiteral("SELECT min(applied_ns) > 0 FROM schema_migrations")).toInt(),
                 1);
    }

    void migrationFromVersion1()
    {
        REQUIRE_SQLITE();
        {
            RawDb raw(dbPath());
            QSqlDatabase db = raw.db();
            QCOMPARE(sqlschema::migrate(db, 1), 1);
            raw.exec(QStringLiteral("INSERT INTO tenants VALUES ('acme', 3, 2, 1, 5)"));
            raw.exec(QStringLiteral("INSERT INTO resume_points VALUES ('acme', 'u', 'a', 42, 7)"));
            raw.exec(QStringLiteral("INSERT INTO watchlist (tenant, user_id, asset_id, added_ns)"
                                    " VALUES ('acme', 'u', 'w1', 1), ('acme', 'u', 'w2', 2)"));
            raw.exec(QStringLiteral("INSERT INTO catalog VALUES ('c', '{\"id\":\"c\"}', 1)"));
            QCOMPARE(raw.exec(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE type ="
                                             " 'index' AND name = 'watchlist_by_seq'"))
                         .toInt(),
                     0);
        }
        auto store = openSqlite();
        QCOMPARE(store->schemaVersion(), 3);
        QCOMPARE(store->policy("acme"), std::optional<StreamPolicy>(StreamPolicy{3, 2, 1}));
        QCOMPARE(store->resumePoint("acme", "u", "a")->progress, 42);
        QCOMPARE(store->resumePoint("acme", "u", "a")->updatedNs, 7);
        QCOMPARE(store->watchlist("acme", "u"), (QStringList{"w2", "w1"}));
        QCOMPARE(store->catalogAssets({"c"}).value("c"), QByteArray("{\"id\":\"c\"}"));
        store.reset();
        RawDb raw(dbPath());
        QCOMPARE(raw.exec(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                                         " AND name IN ('watchlist_by_seq',"
                                         " 'resume_points_by_recency')"))
                     .toInt(),
                 2);
    }

    void migrationThroughStoreOptions()
    {
        REQUIRE_SQLITE();
        SqliteStore::Options v1;
        v1.targetSchemaVersion = 1;
        {
            auto store = openSqlite(v1);
            QCOMPARE(store->schemaVersion(), 1);
            store->saveResumePoint(point("t", "u", "a", 9, 9));
        }
        auto store = openSqlite();
        QCOMPARE(store->schemaVersion(), 3);
        QCOMPARE(store->resumePoint("t", "u", "a")->progress, 9);
        store.reset();
        // an older target never downgrades
        QCOMPARE(openSqlite(v1)->schemaVersion(), 3);
    }

    void newerSchemaRefused()
    {
        REQUIRE_SQLITE();
        openSqlite()->registerTenant("acme");
        {
            RawDb raw(dbPath());
            raw.exec(QStringLiteral("INSERT INTO schema_migrations VALUES (?, 1)"),
                     {sqlschema::latestVersion() + 1});
        }
        SqliteStore store(dbPath());
        try {
            store.open();
            QFAIL("a newer schema was accepted");
        } catch (const StorageError &e) {
            const QString message = QString::fromUtf8(e.what());
            QVERIFY2(message.contains(QStringLiteral("newer")), e.what());
            QVERIFY2(message.contains(QString::number(sqlschema::latestVersion() + 1)), e.what());
            QVERIFY(!e.isTransient());
        }
        QVERIFY(!store.isOpen());
        QVERIFY_THROWS_EXCEPTION(StorageError, store.tenants());
        QVERIFY_THROWS_EXCEPTION(StorageError, store.registerTenant("x"));
        RawDb raw(dbPath());
        QCOMPARE(raw.exec(QStringLiteral("SELECT max(version) FROM schema_migrations")).toInt(),
                 sqlschema::latestVersion() + 1);
        QCOMPARE(raw.exec(QStringLiteral("SELECT count(*) FROM tenants")).toInt(), 1);
    }

    // --- lifecycle and visibility ---

    void reopenKeepsData()
    {
        REQUIRE_SQLITE();
        SqliteStore store(dbPath());
        store.open();
        store.open(); // no-op
        store.setPolicy("acme", {5, 4, 3});
        store.saveResumePoint(point("acme", "u", "a", 77, 1));
        store.addToWatchlist("acme", "u", "w", 1, 10);
        store.importCatalog({{"c", "{}"}});
        store.close();
        QVERIFY(!store.isOpen());
        QVERIFY_THROWS_EXCEPTION(StorageError, store.policy("acme"));
        QVERIFY_THROWS_EXCEPTION(StorageError, store.setPolicy("acme", {}));
        store.close(); // no-op
        store.open();
        QCOMPARE(store.policy("acme"), std::optional<StreamPolicy>(StreamPolicy{5, 4, 3}));
        QCOMPARE(store.resumePoint("acme", "u", "a")->progress, 77);
        QCOMPARE(store.watchlist("acme", "u"), QStringList{"w"});
        QCOMPARE(store.catalogSize(), 1);
    }

    void closedStoreErrorIsTransient()
    {
        REQUIRE_SQLITE();
        SqliteStore store(dbPath());
        try {
            store.saveResumePoint(point("t", "u", "a", 1, 1));
            QFAIL("a closed store accepted a write");
        } catch (const StorageError &e) {
            QVERIFY(e.isTransient());
        }
    }

    void writeVisibleToAnotherStore()
    {
        auto writer = openStore();
        auto readerStore = openStore();
        DurableStore &reader = *readerStore;
        for (int i = 0; i < 50; ++i) {
            writer->saveResumePoint(point("t", "u", "a", i, i));
            QCOMPARE(reader.resumePoint("t", "u", "a")->progress, i);
            writer->addToWatchlist("t", "u", QString::number(i), i, 1000);
            QCOMPARE(reader.watchlist("t", "u").first(), QString::number(i));
            // and the other way round
            reader.setPolicy("acme", {i, 0, 0});
            QCOMPARE(writer->policy("acme")->maxPerUser, i);
        }
    }

    void concurrentWritersAndReaders()
    {
        // 8 threads (4 QThreads, 4 std::threads) x 200 writes, each write read back at once.
        auto store = openStore();
        constexpr int kThreads = 8, kWrites = 200;
        QMutex failuresMutex;
        QStringList failures;
        const auto fail = [&](const QString &what) {
            QMutexLocker lock(&failuresMutex);
            failures.append(what);
        };
        const auto work = [&](int n) {
            const QString user = QStringLiteral("user-%1").arg(n);
            try {
                for (int i = 0; i < kWrites; ++i) {
                    const QString asset = QStringLiteral("asset-%1").arg(i);
                    store->saveResumePoint(point("t", user, asset, i, qint64(n) * 100000 + i));
                    const auto read = store->resumePoint("t", user, asset);
                    if (!read || read->progress != i)
                        fail(QStringLiteral("%1: resume point %2 not visible").arg(user, asset));
                    if (store->addToWatchlist("t", user, asset, i, 100000)
                        != DurableStore::WatchlistAdd::Added)
                        fail(QStringLiteral("%1: %2 not added").arg(user, asset));
                    if (store->watchlist("t", user).size() != i + 1)
                        fail(QStringLiteral("%1: watchlist size wrong").arg(user));
                    if (i % 20 == 0)
                        store->catalogSize();
                }
            } catch (const std::exception &e) {
                fail(QString::fromUtf8(e.what()));
            }
        };
        std::vector<std::unique_ptr<QThread>> qthreads;
        std::vector<std::thread> stdthreads;
        for (int n = 0; n < kThreads; ++n) {
            if (n % 2 == 0) {
                qthreads.emplace_back(QThread::create(work, n));
                qthreads.back()->start();
            } else {
                stdthreads.emplace_back(work, n);
            }
        }
        for (auto &thread : qthreads)
            QVERIFY(thread->wait(120000));
        for (auto &thread : stdthreads)
            thread.join();
        QVERIFY2(failures.isEmpty(), qPrintable(failures.mid(0, 5).join(QLatin1Char('\n'))));
        // the finished threads' read connections were closed (QThread and adopted threads)
        QCOMPARE(connectionCount(*store), 0);
        for (int n = 0; n < kThreads; ++n) {
            const QString user = QStringLiteral("user-%1").arg(n);
            const QList<ResumePoint> h = store->history("t", user);
            QCOMPARE(h.size(), kWrites);
            QCOMPARE(h.first().assetId, QStringLiteral("asset-%1").arg(kWrites - 1));
            QCOMPARE(h.last().assetId, QStringLiteral("asset-0"));
            QCOMPARE(store->watchlist("t", user).size(), kWrites);
            QCOMPARE(store->watchlist("t", user).first(),
                     QStringLiteral("asset-%1").arg(kWrites - 1));
        }
        QCOMPARE(connectionCount(*store), 1); // this thread's
        store.reset();
        auto reopened = openStore();
        int total = 0;
        for (int n = 0; n < kThreads; ++n)
            total += int(reopened->history("t", QStringLiteral("user-%1").arg(n)).size());
        QCOMPARE(total, kThreads * kWrites);
    }

    void closeWhileReaderThreadsLive()
    {
        REQUIRE_SQLITE();
        // close() closes the read connections of threads that are still running, without Qt
        // warnings; such a thread gets a fresh connection after a reopen and cleans it up when
        // it finishes, also after the store is gone.
        QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
        auto store = openSqlite();
        store->registerTenant("acme");
        QSemaphore opened, closed, triedClosed, reopened, done, finish;
        QStringList seen;
        std::unique_ptr<QThread> thread(QThread::create([&] {
            seen.append(store->tenants().join(QLatin1Char(',')));
            opened.release();
            closed.acquire();
            try {
                store->tenants();
                seen.append(QStringLiteral("read after close"));
            } catch (const StorageError &) {
                seen.append(QStringLiteral("refused"));
            }
            triedClosed.release();
            reopened.acquire();
            seen.append(store->tenants().join(QLatin1Char(',')));
            done.release();
            finish.acquire();
        }));
        thread->start();
        opened.acquire();
        QCOMPARE(connectionCount(*store), 1);
        store->close();
        QCOMPARE(connectionCount(*store), 0);
        closed.release();
        triedClosed.acquire();
        store->open();
        reopened.release();
        done.acquire();
        QCOMPARE(connectionCount(*store), 1);
        store.reset(); // closes the live thread's connection
        finish.release();
        QVERIFY(thread->wait(10000));
        QCOMPARE(seen, (QStringList{"acme", "refused", "acme"}));
    }

    void walStaysBoundedUnderOverlappingReaders()
    {
        REQUIRE_SQLITE();
        // Readers that always overlap keep PASSIVE checkpoints from finishing; the writer's
        // TRUNCATE checkpoint above walCheckpointBytes must still bound the -wal file.
        SqliteStore::Options options;
        options.walCheckpointBytes = 128 * 1024;
        auto store = openSqlite(options);
        std::atomic<bool> stop{false};
        QAtomicInt readErrors;
        std::vector<std::unique_ptr<QThread>> readers;
        for (int n = 0; n < 2; ++n) {
            readers.emplace_back(QThread::create([&] {
                try {
                    while (!stop.load())
                        store->searchCatalog(QStringLiteral("needle"), 5);
                } catch (const std::exception &) {
                    readErrors.ref();
                }
            }));
            readers.back()->start();
        }
        const QByteArray blob(2000, 'x');
        qint64 maxWal = 0;
        for (int i = 0; i < 800; ++i) {
            store->importCatalog({{QStringLiteral("a%1").arg(i % 300), blob}});
            maxWal = std::max(maxWal, QFileInfo(dbPath() + QStringLiteral("-wal")).size());
        }
        stop = true;
        for (auto &thread : readers)
            QVERIFY(thread->wait(60000));
        QCOMPARE(readErrors.loadRelaxed(), 0);
        QCOMPARE(store->catalogSize(), 300);
        // Without the bound: >= 4 MB (SQLite's autocheckpoint never truncates the file), more when
        // the readers starve it (measured: 5.8 MB here, 8.7 MB with 3 readers and 1500 writes).
        QVERIFY2(maxWal < 1024 * 1024, qPrintable(QString::number(maxWal)));
    }

    void idleCheckpointTruncatesWal()
    {
        REQUIRE_SQLITE();
        SqliteStore::Options options;
        options.idleCheckpointMs = 100;
        auto store = openSqlite(options);
        for (int i = 0; i < 20; ++i)
            store->saveResumePoint(point("t", "u", QString::number(i), i, i));
        const QString wal = dbPath() + QStringLiteral("-wal");
        QVERIFY(QFileInfo(wal).size() > 0);
        QTRY_COMPARE_WITH_TIMEOUT(QFileInfo(wal).size(), 0, 5000);
        QCOMPARE(store->history("t", "u").size(), 20);
    }

    // --- faults ---

    void unopenablePath_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addRow("under a regular file") << QStringLiteral("under-file");
        QTest::addRow("a directory") << QStringLiteral("directory");
        QTest::addRow("not a database") << QStringLiteral("garbage");
        QTest::addRow("in-memory") << QStringLiteral("memory");
        QTest::addRow("empty") << QStringLiteral("empty");
    }
    void unopenablePath()
    {
        REQUIRE_SQLITE();
        QFETCH(QString, kind);
        QString path;
        if (kind == QLatin1String("under-file")) {
            QFile file(m_dir->filePath(QStringLiteral("plain")));
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.close();
            path = m_dir->filePath(QStringLiteral("plain/sub/oxm.sqlite"));
        } else if (kind == QLatin1String("directory")) {
            path = m_dir->filePath(QStringLiteral("adir"));
            QVERIFY(QDir().mkpath(path));
        } else if (kind == QLatin1String("garbage")) {
            path = m_dir->filePath(QStringLiteral("garbage.sqlite"));
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(QByteArray(8192, 'g'));
            file.close();
        } else if (kind == QLatin1String("memory")) {
            path = QStringLiteral(":memory:");
        }
        SqliteStore store(path);
        try {
            store.open();
            QFAIL("opened");
        } catch (const StorageError &e) {
            const QString message = QString::fromUtf8(e.what());
            QVERIFY2(message.contains(path), e.what());
        }
        QVERIFY(!store.isOpen());
        QVERIFY_THROWS_EXCEPTION(StorageError, store.catalogSize());
    }

    void createsParentDirectory()
    {
        REQUIRE_SQLITE();
        const QString path = m_dir->filePath(QStringLiteral("a/b/c/oxm.sqlite"));
        {
            SqliteStore store(path);
            store.open();
            store.registerTenant("acme");
        }
        QVERIFY(QFileInfo::exists(path));
        SqliteStore store(path);
        store.open();
        QCOMPARE(store.tenants(), QStringList{"acme"});
    }

    void lockedDatabaseIsTransient()
    {
        REQUIRE_SQLITE();
        // Another process holding the write lock longer than busy_timeout: the write fails with a
        // transient StorageError, reads go on, and the store recovers when the lock is released.
        SqliteStore::Options options;
        options.busyTimeoutMs = 100;
        auto store = openSqlite(options);
        store->saveResumePoint(point("t", "u", "a", 1, 1));
        RawDb raw(dbPath());
        QVERIFY(raw.tryExec(QStringLiteral("BEGIN IMMEDIATE")));
        raw.exec(QStringLiteral("INSERT INTO tenants VALUES ('held', 0, 0, 0, 0)"));
        try {
            store->saveResumePoint(point("t", "u", "a", 2, 2));
            QFAIL("wrote through a held lock");
        } catch (const StorageError &e) {
            QVERIFY2(e.isTransient(), e.what());
            QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("locked")), e.what());
        }
        QCOMPARE(store->resumePoint("t", "u", "a")->progress, 1);
        QVERIFY(raw.tryExec(QStringLiteral("ROLLBACK")));
        store->saveResumePoint(point("t", "u", "a", 3, 3));
        QCOMPARE(store->resumePoint("t", "u", "a")->progress, 3);
        QCOMPARE(store->tenants(), QStringList());
    }
};

QTEST_GUILESS_MAIN(TestDurableStore)
#include "tst_sqlitestore.moc"
