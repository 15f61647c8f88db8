// The other screens and the window (issue 3): Subscribers (watchlist with catalog metadata,
// resume points, active streams, removing and deleting), Catalog (import and search off the GUI
// thread), Tokens (a minted token works over real HTTP), the main window's shortcuts and
// layout memory, and ServiceHost's clear errors when the port is taken or the database can't open.

#include "assetinfo.h"
#include "assetsmodel.h"
#include "catalogscreen.h"
#include "formatting.h"
#include "guitestsupport.h"
#include "livestreamsmodel.h"
#include "mainwindow.h"
#include "oxmservice.h"
#include "resumepointsmodel.h"
#include "screen.h"
#include "servicehost.h"
#include "subscribersscreen.h"
#include "tokensscreen.h"

#include <QAbstractItemModelTester>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QItemSelectionModel>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace oxm;
using namespace oxm::test;

namespace {

const QByteArray demoCatalog = R"([
  {"id":"red-canyon","name":"Red Canyon","resourceType":"movie","releaseYear":1972,"genres":["Western"]},
  {"id":"orbit-kids","name":"Orbit Kids","resourceType":"series","releaseYear":2022,"genres":["Animation","Family"]},
  {"id":"paris-1920","name":"Paris, 1920","resourceType":"documentary","releaseYear":"2018","genres":["History"]}
])";

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &content)
{
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
        return {};
    return path;
}

/// A ServiceHost that builds its own service from settings (the way oxm-admin does, minus the
/// command line): "HOST:PORT" and a database path.
ServiceHost::ConfigBuilder testBuilder()
{
    return [](const ServerSettings &s) {
        ServiceConfig config;
        config.listenAddress = QHostAddress(s.listen.section(QLatin1Char(':'), 0, 0));
        config.port = quint16(s.listen.section(QLatin1Char(':'), 1, 1).toUInt());
        config.databasePath = s.database;
        config.jwtSecret = testSecret();
        config.streamTimeoutSeconds = s.streamTimeoutSeconds;
        config.httpThreads = s.threads;
        return config;
    };
}

} // namespace

class TestScreens : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void formatting_data();
    void formatting();
    void assetInfo_data();
    void assetInfo();
    void assetsAndResumePointModelsUnderTester();
    void catalogImportAndSearch();
    void catalogImportError();
    void subscriberLookup();
    void tokensWorkOverHttp();
    void tokensRefuseInvalidClaims();
    void windowShortcutsAndLayout();
    void portTakenIsReported();
    void databaseThatCannotOpenIsReported();
    void settingsChangeRecreatesTheService();
};

void TestScreens::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("OXM-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("gui_screens"));
    QSettings().clear();
}

void TestScreens::formatting_data()
{
    QTest::addColumn<qint64>("seconds");
    QTest::addColumn<QString>("text");
    QTest::addRow("zero") << qint64(0) << "0:00:00";
    QTest::addRow("seconds") << qint64(7) << "0:00:07";
    QTest::addRow("minutes") << qint64(3725) << "1:02:05";
    QTest::addRow("long") << qint64(100 * 3600 + 59) << "100:00:59";
    QTest::addRow("none") << qint64(-1) << "—";
}

void TestScreens::formatting()
{
    QFETCH(qint64, seconds);
    QFETCH(QString, text);
    QCOMPARE(format::duration(seconds), text);
}

void TestScreens::assetInfo_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("year");
    QTest::addColumn<QStringList>("genres");
    QTest::addColumn<QString>("type");
    QTest::addRow("seed example") << QByteArray(R"({"id":"c56f","name":"Barrio Chino II","resourceType":"movie","releaseYear":1990,"genres":["Mystery"]})")
                                  << "Barrio Chino II" << 1990 << QStringList{"Mystery"} << "movie";
    QTest::addRow("year as a string") << QByteArray(R"({"id":"x","name":"X","releaseYear":"2018"})") << "X" << 2018 << QStringList{} << "";
    QTest::addRow("only an id") << QByteArray(R"({"id":"x"})") << "" << 0 << QStringList{} << "";
    QTest::addRow("mistyped fields") << QByteArray(R"({"id":"x","name":5,"genres":"Drama","releaseYear":true})") << "" << 0 << QStringList{} << "";
}

void TestScreens::assetInfo()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, name);
    QFETCH(int, year);
    QFETCH(QStringList, genres);
    QFETCH(QString, type);
    const AssetInfo info = AssetInfo::fromJson(json);
    QVERIFY(info.inCatalog);
    QCOMPARE(info.name, name);
    QCOMPARE(info.releaseYear, year);
    QCOMPARE(info.genres, genres);
    QCOMPARE(info.resourceType, type);
}

void TestScreens::assetsAndResumePointModelsUnderTester()
{
    AssetsModel assets;
    QAbstractItemModelTester assetsTester(&assets, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy assetResets(&assets, &QAbstractItemModel::modelReset);
    QSignalSpy assetChanges(&assets, &QAbstractItemModel::dataChanged);
    assets.setAssets({AssetInfo::fromJson(R"({"id":"a","name":"A","releaseYear":2000})"), AssetInfo::missing(QStringLiteral("b"))});
    QCOMPARE(assets.rowCount(), 2);
    QCOMPARE(assets.index(1, AssetsModel::NameColumn).data().toString(), QStringLiteral("(not in catalog)"));
    QCOMPARE(assets.index(0, AssetsModel::YearColumn).data(AssetsModel::SortRole).toInt(), 2000);
    assets.setAssets({AssetInfo::fromJson(R"({"id":"a","name":"A2","releaseYear":2000})")});
    QCOMPARE(assets.rowCount(), 1);
    QCOMPARE(assets.index(0, AssetsModel::NameColumn).data().toString(), QStringLiteral("A2"));
    QCOMPARE(assetChanges.count(), 1);
    QCOMPARE(assetResets.count(), 0);

    ResumePointsModel points;
    QAbstractItemModelTester pointsTester(&points, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy pointResets(&points, &QAbstractItemModel::modelReset);
    const qint64 ns = 1556219181577870309LL;
    points.setResumePoints({ResumePoint{"t", "u", "movie", 3725, ns}, ResumePoint{"t", "u", "show", 5, ns}});
    QCOMPARE(points.index(0, ResumePointsModel::ProgressColumn).data().toString(), QStringLiteral("1:02:05"));
    // Last update in the viewer's local time.
    QCOMPARE(points.index(0, ResumePointsModel::UpdatedColumn).data().toString(),
             QDateTime::fromMSecsSinceEpoch(ns / 1000000).toLocalTime().toString(QStringLiteral("yyyy-MM-dd hh:mm:ss")));
    points.setResumePoints({ResumePoint{"t", "u", "show", 65, ns + 1}});
    QCOMPARE(points.rowCount(), 1);
    QCOMPARE(points.index(0, ResumePointsModel::ProgressColumn).data().toString(), QStringLiteral("0:01:05"));
    QCOMPARE(pointResets.count(), 0);
}

void TestScreens::catalogImportAndSearch()
{
    QTemporaryDir dir;
    const QString path = writeFile(dir, QStringLiteral("catalog.json"), demoCatalog);
    ServiceFixture fixture;
    ServiceHost host(fixture.service());
    CatalogScreen screen(host);
    screen.show();
    QAbstractItemModelTester tester(screen.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(screen.pendingOperations(), 0);
    QCOMPARE(screen.model()->rowCount(), 0);

    QSignalSpy finished(&screen, &CatalogScreen::importFinished);
    screen.importFile(path);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.first().at(0).toBool(), true);
    QVERIFY(screen.lastImportMessage().contains(QStringLiteral("3")));
    QTRY_COMPARE(screen.pendingOperations(), 0);
    QCOMPARE(screen.model()->rowCount(), 3);
    const int paris = findRow(screen.model(), AssetsModel::IdColumn, QStringLiteral("paris-1920"));
    QCOMPARE(screen.model()->index(paris, AssetsModel::YearColumn).data().toString(), QStringLiteral("2018"));

    screen.setSearch(QStringLiteral("animation"));
    QTRY_COMPARE(screen.pendingOperations(), 0);
    QCOMPARE(screen.model()->rowCount(), 1);
    QCOMPARE(screen.model()->index(0, AssetsModel::IdColumn).data().toString(), QStringLiteral("orbit-kids"));
    screen.setSearch({});
    QTRY_COMPARE(screen.pendingOperations(), 0);
    QCOMPARE(screen.model()->rowCount(), 3);
}

void TestScreens::catalogImportError()
{
    QTemporaryDir dir;
    const QString path = writeFile(dir, QStringLiteral("bad.json"), R"([{"name":"no id"}])");
    ServiceFixture fixture;
    ServiceHost host(fixture.service());
    CatalogScreen screen(host);
    QSignalSpy errors(&screen, &Screen::errorMessage);
    QSignalSpy finished(&screen, &CatalogScreen::importFinished);
    screen.importFile(path);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.first().at(0).toBool(), false);
    QCOMPARE(errors.count(), 1);
    QVERIFY(errors.first().at(1).toString().contains(QStringLiteral("id")));
}

void TestScreens::subscriberLookup()
{
    QTemporaryDir dir;
    ServiceFixture fixture;
    ServiceHost host(fixture.service());
    const QByteArray alice = fixture.token("acme", "alice");
    for (const char *asset : {"red-canyon", "orbit-kids", "not-in-catalog"})
        QCOMPARE(request(fixture.port(), "PUT", QByteArray("/oxm/v1/towatch/") + asset, alice).status, 200);
    QCOMPARE(request(fixture.port(), "PUT", "/oxm/v1/streams/red-canyon/stopped?device=tv&progress=3725", alice).status, 204);
    QCOMPARE(heartbeat(fixture.port(), alice, "orbit-kids", "phone", 42).status, 204);

    CatalogScreen catalog(host);
    QSignalSpy imported(&catalog, &CatalogScreen::importFinished);
    catalog.importFile(writeFile(dir, QStringLiteral("catalog.json"), demoCatalog));
    QVERIFY(imported.wait(10000));

    SubscribersScreen screen(host);
    screen.show();
    QAbstractItemModelTester watchlistTester(screen.watchlistModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester pointsTester(screen.resumePointsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester streamsTester(screen.streamsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    screen.lookUp(QStringLiteral("acme"), QStringLiteral("alice"));
    QTRY_COMPARE(screen.pendingOperations(), 0);

    AssetsModel *watchlist = screen.watchlistModel();
    QCOMPARE(watchlist->rowCount(), 3);
    // Newest first, as the API lists it, with the catalog's metadata.
    QCOMPARE(watchlist->index(0, AssetsModel::IdColumn).data().toString(), QStringLiteral("not-in-catalog"));
    QCOMPARE(watchlist->index(0, AssetsModel::NameColumn).data().toString(), QStringLiteral("(not in catalog)"));
    const int orbit = findRow(watchlist, AssetsModel::IdColumn, QStringLiteral("orbit-kids"));
    QCOMPARE(watchlist->index(orbit, AssetsModel::NameColumn).data().toString(), QStringLiteral("Orbit Kids"));
    QCOMPARE(watchlist->index(orbit, AssetsModel::YearColumn).data().toString(), QStringLiteral("2022"));
    QCOMPARE(watchlist->index(orbit, AssetsModel::GenresColumn).data().toString(), QStringLiteral("Animation, Family"));
    QCOMPARE(watchlist->index(orbit, AssetsModel::TypeColumn).data().toString(), QStringLiteral("series"));

    ResumePointsModel *points = screen.resumePointsModel();
    QCOMPARE(points->rowCount(), 2);
    const int red = findRow(points, ResumePointsModel::AssetColumn, QStringLiteral("red-canyon"));
    QCOMPARE(points->index(red, ResumePointsModel::ProgressColumn).data().toString(), QStringLiteral("1:02:05"));
    QCOMPARE(screen.streamsModel()->rowCount(), 1);
    QCOMPARE(screen.streamsModel()->index(0, LiveStreamsModel::DeviceColumn).data().toString(), QStringLiteral("phone"));

    // Remove a watchlist entry and delete a resume point from the screen.
    const auto selectById = [](QTableView *view, int column, const QString &id) {
        const QAbstractItemModel *model = view->model();
        for (int row = 0; row < model->rowCount(); ++row)
            if (model->index(row, column).data().toString() == id) {
                view->selectRow(row);
                return true;
            }
        return false;
    };
    QVERIFY(selectById(screen.watchlistView(), AssetsModel::IdColumn, QStringLiteral("red-canyon")));
    screen.removeSelectedWatchlistEntry();
    QTRY_COMPARE(screen.pendingOperations(), 0);
    QCOMPARE(watchlist->rowCount(), 2);
    QCOMPARE(findRow(watchlist, AssetsModel::IdColumn, QStringLiteral("red-canyon")), -1);
    const Reply list = request(fixture.port(), "GET", "/oxm/v1/towatch", alice);
    QVERIFY(!list.object().value(QStringLiteral("assetIDs")).toArray().contains(QStringLiteral("red-canyon")));

    QVERIFY(selectById(screen.resumePointsView(), ResumePointsModel::AssetColumn, QStringLiteral("red-canyon")));
    screen.deleteSelectedResumePoint();
    QTRY_COMPARE(screen.pendingOperations(), 0);
    QCOMPARE(points->rowCount(), 1);
    QCOMPARE(request(fixture.port(), "GET", "/oxm/v1/streams/red-canyon", alice).status, 404);

    // The active streams follow the registry every second.
    QCOMPARE(heartbeat(fixture.port(), alice, "paris-1920", "tv").status, 204);
    QTRY_COMPARE_WITH_TIMEOUT(screen.streamsModel()->rowCount(), 2, 2500);
}

void TestScreens::tokensWorkOverHttp()
{
    ServiceFixture fixture;
    ServiceHost host(fixture.service());
    TokensScreen screen(host);
    screen.setFields(QStringLiteral("acme"), QStringLiteral("alice"), false, QStringLiteral("living-room-tv"), 30,
                     QStringLiteral("red canyon"));
    QVERIFY(screen.mint());
    const QByteArray token = screen.token().toLatin1();
    QVERIFY(!token.isEmpty());
    // The curl command targets the running server with this token.
    const QString curl = screen.curlCommand();
    QVERIFY(curl.contains(QStringLiteral("http://127.0.0.1:%1/oxm/v1/streams/red%20canyon/streaming").arg(fixture.port())));
    QVERIFY(curl.contains(QStringLiteral("Authorization: Bearer ") + screen.token()));
    // The token works: a heartbeat (device from the token's claim) is admitted.
    QCOMPARE(request(fixture.port(), "PUT", "/oxm/v1/streams/red%20canyon/streaming?progress=0", token).status, 204);
    const Reply counts = request(fixture.port(), "GET", "/oxm/v1/streams/counts?include=device", token);
    QCOMPARE(counts.object().value(QStringLiteral("red canyon")).toObject().value(QStringLiteral("living-room-tv")).toInt(), 1);
    // Not an admin: a policy write is refused.
    QCOMPARE(request(fixture.port(), "PUT", "/oxm/v1/streampolicy/acme", token,
                     R"({"maxPerUser":1,"maxPerAsset":1,"maxDevices":1})").errorCode(), 1004);
    screen.setFields(QStringLiteral("acme"), QStringLiteral("ops"), true, {}, 5, QStringLiteral("x"));
    QVERIFY(screen.mint());
    QCOMPARE(request(fixture.port(), "PUT", "/oxm/v1/streampolicy/acme", screen.token().toLatin1(),
                     R"({"maxPerUser":1,"maxPerAsset":1,"maxDevices":1})").status, 200);
}

void TestScreens::tokensRefuseInvalidClaims()
{
    ServiceFixture fixture;
    ServiceHost host(fixture.service());
    TokensScreen screen(host);
    screen.setFields({}, QStringLiteral("alice"), false, {}, 30, QStringLiteral("x"));
    QVERIFY(!screen.mint());
    QVERIFY(screen.token().isEmpty());
    QVERIFY(screen.messageLabel()->text().startsWith(QStringLiteral("Not minted")));
}

void TestScreens::windowShortcutsAndLayout()
{
    QSettings().clear();
    ServiceFixture fixture;
    ServiceHost host(fixture.service());
    {
        MainWindow window(host);
        window.setInteractive(false);
        window.show();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QCOMPARE(window.currentScreen(), int(MainWindow::LiveIndex));
        for (int i = MainWindow::ScreenCount - 1; i >= 0; --i) {
            QTest::keyClick(&window, Qt::Key(Qt::Key_1 + i), Qt::ControlModifier);
            QCOMPARE(window.currentScreen(), i);
        }
        QTest::keyClick(&window, Qt::Key_4, Qt::ControlModifier);
        QCOMPARE(window.currentScreen(), int(MainWindow::CatalogIndex));
        QTest::keyClick(&window, Qt::Key_F5); // refresh the current screen
        window.resize(1000, 700);
        window.close(); // remembers the layout
    }
    MainWindow again(host);
    again.restoreLayout();
    QCOMPARE(again.currentScreen(), int(MainWindow::CatalogIndex));
    QCOMPARE(again.size(), QSize(1000, 700));
    for (int i = 0; i < MainWindow::ScreenCount; ++i)
        QVERIFY(!MainWindow::screenName(i).isEmpty());
}

void TestScreens::portTakenIsReported()
{
    QTcpServer squatter;
    QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
    QTemporaryDir dir;
    ServerSettings settings;
    settings.listen = QStringLiteral("127.0.0.1:%1").arg(squatter.serverPort());
    settings.database = dir.filePath(QStringLiteral("oxm.sqlite"));
    ServiceHost host(settings, testBuilder());
    QSignalSpy errors(&host, &ServiceHost::errorOccurred);
    QVERIFY(!host.start());
    QCOMPARE(errors.count(), 1);
    QVERIFY2(host.lastError().contains(QString::number(squatter.serverPort())), qPrintable(host.lastError()));
    QVERIFY(!host.isListening());
    QVERIFY(host.service()); // the database is open: the screens work, only the API is down

    // The window still opens; the user changes the port and starts again.
    MainWindow window(host);
    window.setInteractive(false);
    window.show();
    settings.listen = QStringLiteral("127.0.0.1:0");
    host.setSettings(settings);
    QVERIFY(host.start());
    QVERIFY(host.isListening());
    QVERIFY(host.lastError().isEmpty());
    QCOMPARE(request(host.port(), "GET", "/oxm/v1/healthz").status, 200);
}

void TestScreens::databaseThatCannotOpenIsReported()
{
    QTemporaryDir dir;
    const QString notADirectory = writeFile(dir, QStringLiteral("file"), "x");
    ServerSettings settings;
    settings.listen = QStringLiteral("127.0.0.1:0");
    settings.database = notADirectory + QStringLiteral("/oxm.sqlite");
    ServiceHost host(settings, testBuilder());
    QSignalSpy errors(&host, &ServiceHost::errorOccurred);
    MainWindow window(host);
    window.setInteractive(false);
    window.show();
    QVERIFY(!host.start());
    QCOMPARE(errors.count(), 1);
    QVERIFY2(host.lastError().contains(QStringLiteral("database")), qPrintable(host.lastError()));
    QVERIFY(!host.service());
    QVERIFY(!host.isListening());
    // Every screen copes with no service (F5 included).
    for (int i = 0; i < MainWindow::ScreenCount; ++i) {
        window.showScreen(i);
        window.refreshCurrent();
    }
}

void TestScreens::settingsChangeRecreatesTheService()
{
    QTemporaryDir dir;
    ServerSettings settings;
    settings.listen = QStringLiteral("127.0.0.1:0");
    settings.database = dir.filePath(QStringLiteral("one.sqlite"));
    ServiceHost host(settings, testBuilder());
    QSignalSpy changed(&host, &ServiceHost::serviceChanged);
    QVERIFY(host.start());
    QCOMPARE(host.databasePath(), settings.database);
    settings.database = dir.filePath(QStringLiteral("two.sqlite"));
    settings.streamTimeoutSeconds = 30;
    host.setSettings(settings);
    QVERIFY(host.restart());
    QCOMPARE(host.databasePath(), settings.database);
    QCOMPARE(host.config().streamTimeoutSeconds, 30);
    QVERIFY(QFile::exists(settings.database));
    QCOMPARE(request(host.port(), "GET", "/oxm/v1/healthz").status, 200);
    QVERIFY(changed.count() >= 2);
}

QTEST_MAIN(TestScreens)
#include "tst_screens.moc"
