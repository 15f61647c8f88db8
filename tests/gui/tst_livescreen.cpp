// The Live screen (issue 3, screen 1): models refreshed in place, selection kept across
// refreshes, the table following heartbeats over real HTTP, ending a stream (409/1053), the
// refusal counters and the bounded timeline.

#include "activitychart.h"
#include "assetcountsmodel.h"
#include "domain/streamregistry.h"
#include "guitestsupport.h"
#include "livescreen.h"
#include "livestreamsmodel.h"
#include "oxmservice.h"
#include "servicehost.h"
#include "streamsfilterproxy.h"
#include "tenantcountsmodel.h"

#include <QAbstractItemModelTester>
#include <QDateTimeAxis>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLineSeries>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QTimer>
#include <QValueAxis>

using namespace oxm;
using namespace oxm::test;

namespace {

/// A fixture service, its host and a shown Live screen whose timer is stopped (the tests drive
/// refresh() themselves unless they want the timer).
struct LiveRig
{
    ServiceFixture fixture;
    ServiceHost host{fixture.service()};
    LiveScreen screen{host};

    LiveRig()
    {
        screen.timer()->stop();
        screen.resize(1200, 800);
        screen.show();
    }
    QByteArray token(const QString &tenant, const QString &user) const { return fixture.token(tenant, user); }
    int beat(const QString &tenant, const QString &user, const QString &asset, const QString &device, qint64 progress = -1)
    {
        return heartbeat(fixture.port(), token(tenant, user), asset, device, progress).status;
    }
    StreamKey selectedKey() const
    {
        const QModelIndexList rows = screen.streamsView()->selectionModel()->selectedRows();
        return rows.isEmpty() ? StreamKey{} : rows.first().data(LiveStreamsModel::KeyRole).value<StreamKey>();
    }
    bool select(const QString &user, const QString &device)
    {
        const QAbstractItemModel *model = screen.streamsView()->model();
        for (int row = 0; row < model->rowCount(); ++row) {
            const StreamKey key = model->index(row, 0).data(LiveStreamsModel::KeyRole).value<StreamKey>();
            if (key.userId == user && key.device == device) {
                screen.streamsView()->selectRow(row);
                return true;
            }
        }
        return false;
    }
};

ActiveStream stream(const QString &user, const QString &asset, const QString &device, qint64 lastNs = 1, qint64 progress = -1)
{
    ActiveStream s;
    s.key = StreamKey{QStringLiteral("acme"), user, asset, device};
    s.explicitDevice = true;
    s.startedNs = 1;
    s.lastHeartbeatNs = lastNs;
    s.expiresNs = lastNs + 180LL * 1000000000LL;
    s.progress = progress;
    return s;
}

} // namespace

class TestLiveScreen : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void snapshotDiff_data();
    void snapshotDiff();
    void heartbeatChangesOnlyItsColumns_data();
    void heartbeatChangesOnlyItsColumns();
    void proxySortsLikeTheSortRole_data();
    void proxySortsLikeTheSortRole();
    void modelsUnderTester();
    void selectionSurvives60Refreshes();
    void tableFollowsHeartbeatsOverHttp();
    void endStreamRefusesNextHeartbeat();
    void drillDownAndFilter();
    void refusalCounters();
    void chartKeepsAtMost900Points();
    void chartAxisMovesWithTheClock();
};

void TestLiveScreen::snapshotDiff_data()
{
    // Streams named by "user/device"; "user/device*" has a newer heartbeat than "user/device".
    QTest::addColumn<QStringList>("before");
    QTest::addColumn<QStringList>("after");
    QTest::addColumn<int>("inserted");
    QTest::addColumn<int>("removed");
    QTest::addColumn<int>("changedRows");

    QTest::addRow("first snapshot") << QStringList{} << QStringList{"a/tv", "b/tv"} << 2 << 0 << 0;
    QTest::addRow("identical") << QStringList{"a/tv", "b/tv"} << QStringList{"a/tv", "b/tv"} << 0 << 0 << 0;
    QTest::addRow("same rows, other order") << QStringList{"a/tv", "b/tv"} << QStringList{"b/tv", "a/tv"} << 0 << 0 << 0;
    QTest::addRow("one heartbeat") << QStringList{"a/tv", "b/tv"} << QStringList{"a/tv*", "b/tv"} << 0 << 0 << 1;
    QTest::addRow("one new") << QStringList{"a/tv"} << QStringList{"a/tv", "c/tv"} << 1 << 0 << 0;
    QTest::addRow("one gone") << QStringList{"a/tv", "b/tv", "c/tv"} << QStringList{"a/tv", "c/tv"} << 0 << 1 << 0;
    QTest::addRow("mixed") << QStringList{"a/tv", "b/tv", "c/tv", "d/tv"} << QStringList{"d/tv*", "a/tv", "e/tv"} << 1 << 2 << 1;
    QTest::addRow("all gone") << QStringList{"a/tv", "b/tv"} << QStringList{} << 0 << 2 << 0;
}

void TestLiveScreen::snapshotDiff()
{
    QFETCH(QStringList, before);
    QFETCH(QStringList, after);
    QFETCH(int, inserted);
    QFETCH(int, removed);
    QFETCH(int, changedRows);

    const auto toStreams = [](const QStringList &names) {
        QList<ActiveStream> streams;
        for (QString name : names) {
            const bool newer = name.endsWith(QLatin1Char('*'));
            name.remove(QLatin1Char('*'));
            streams.append(stream(name.section(QLatin1Char('/'), 0, 0), QStringLiteral("movie"),
                                  name.section(QLatin1Char('/'), 1, 1), newer ? 2 : 1));
        }
        return streams;
    };
    LiveStreamsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.applySnapshot(toStreams(before));

    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removes(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    model.applySnapshot(toStreams(after));

    // rowsInserted / rowsRemoved carry (parent, first, last).
    const auto rowsIn = [](const QSignalSpy &spy, int firstArg, int lastArg) {
        int n = 0;
        for (const QList<QVariant> &args : spy)
            n += args.at(lastArg).toInt() - args.at(firstArg).toInt() + 1;
        return n;
    };
    int changed = 0;
    for (const QList<QVariant> &args : changes)
        changed += args.at(1).toModelIndex().row() - args.at(0).toModelIndex().row() + 1;
    QCOMPARE(resets.count(), 0);
    QCOMPARE(rowsIn(inserts, 1, 2), inserted);
    QCOMPARE(rowsIn(removes, 1, 2), removed);
    QCOMPARE(changed, changedRows);
    QCOMPARE(model.rowCount(), after.size());
    QSet<QString> expected, actual;
    for (QString name : after)
        expected.insert(name.remove(QLatin1Char('*')));
    for (const ActiveStream &s : model.rows())
        actual.insert(s.key.userId + QLatin1Char('/') + s.key.device);
    QCOMPARE(actual, expected);
}

void TestLiveScreen::heartbeatChangesOnlyItsColumns_data()
{
    // One stream "a/tv" (started 1, last heartbeat 1, progress -1) is followed by the same
    // stream with other values; the model announces only the columns that changed, and a proxy
    // sorted by Started re-sorts (layoutChanged) only when Started changed.
    QTest::addColumn<qint64>("startedNs");
    QTest::addColumn<qint64>("lastNs");
    QTest::addColumn<qint64>("progress");
    QTest::addColumn<qint64>("expiresAfterNs"); // expiresNs - lastNs (180 s unless the timeout changed)
    QTest::addColumn<bool>("explicitDevice");
    QTest::addColumn<int>("firstColumn");
    QTest::addColumn<int>("lastColumn");
    QTest::addColumn<bool>("resorted");
    const qint64 timeout = 180LL * 1000000000LL;
    QTest::addRow("heartbeat") << qint64(1) << qint64(2) << qint64(-1) << timeout << true
                               << int(LiveStreamsModel::LastHeartbeatColumn) << int(LiveStreamsModel::LastHeartbeatColumn) << false;
    QTest::addRow("progress") << qint64(1) << qint64(1) << qint64(42) << timeout << true
                              << int(LiveStreamsModel::ProgressColumn) << int(LiveStreamsModel::ProgressColumn) << false;
    QTest::addRow("heartbeat with progress") << qint64(1) << qint64(2) << qint64(42) << timeout << true
                                             << int(LiveStreamsModel::LastHeartbeatColumn) << int(LiveStreamsModel::ProgressColumn) << false;
    QTest::addRow("started again (replaced)") << qint64(5) << qint64(5) << qint64(-1) << timeout << true
                                              << int(LiveStreamsModel::StartedColumn) << int(LiveStreamsModel::LastHeartbeatColumn) << true;
    // Shown only in tooltips: the expiry (Last heartbeat's tooltip) and whether the device was
    // named by the client (Device's tooltip).
    QTest::addRow("expiry only (stream timeout changed)") << qint64(1) << qint64(1) << qint64(-1) << 2 * timeout << true
                                                          << int(LiveStreamsModel::LastHeartbeatColumn) << int(LiveStreamsModel::LastHeartbeatColumn) << false;
    QTest::addRow("device no longer named by the client") << qint64(1) << qint64(1) << qint64(-1) << timeout << false
                                                          << int(LiveStreamsModel::DeviceColumn) << int(LiveStreamsModel::DeviceColumn) << false;
}

void TestLiveScreen::heartbeatChangesOnlyItsColumns()
{
    QFETCH(qint64, startedNs);
    QFETCH(qint64, lastNs);
    QFETCH(qint64, progress);
    QFETCH(qint64, expiresAfterNs);
    QFETCH(bool, explicitDevice);
    QFETCH(int, firstColumn);
    QFETCH(int, lastColumn);
    QFETCH(bool, resorted);
    LiveStreamsModel model;
    StreamsFilterProxy proxy;
    proxy.setSourceModel(&model);
    proxy.sort(LiveStreamsModel::StartedColumn, Qt::DescendingOrder);
    // b/tv started at 3 sorts first; a/tv started at 1 after it.
    ActiveStream b = stream(QStringLiteral("b"), QStringLiteral("movie"), QStringLiteral("tv"));
    b.startedNs = 3;
    model.applySnapshot({stream(QStringLiteral("a"), QStringLiteral("movie"), QStringLiteral("tv")), b});
    QCOMPARE(proxy.index(0, LiveStreamsModel::UserColumn).data().toString(), QStringLiteral("b"));

    ActiveStream a = stream(QStringLiteral("a"), QStringLiteral("movie"), QStringLiteral("tv"), lastNs, progress);
    a.startedNs = startedNs;
    a.expiresNs = lastNs + expiresAfterNs;
    a.explicitDevice = explicitDevice;
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy layouts(&proxy, &QAbstractItemModel::layoutChanged);
    model.applySnapshot({a, b});
    QCOMPARE(changes.count(), 1);
    const QModelIndex topLeft = changes.at(0).at(0).toModelIndex();
    const QModelIndex bottomRight = changes.at(0).at(1).toModelIndex();
    QCOMPARE(topLeft.row(), 0);
    QCOMPARE(bottomRight.row(), 0);
    QCOMPARE(topLeft.column(), firstColumn);
    QCOMPARE(bottomRight.column(), lastColumn);
    QCOMPARE(layouts.count() > 0, resorted);
    // Started 5 > 3: a/tv now sorts first; otherwise b/tv stays first.
    QCOMPARE(proxy.index(0, LiveStreamsModel::UserColumn).data().toString(),
             startedNs > 3 ? QStringLiteral("a") : QStringLiteral("b"));
}

void TestLiveScreen::proxySortsLikeTheSortRole_data()
{
    QTest::addColumn<int>("column");
    QTest::addColumn<QStringList>("ascending"); // users, by hand from the values below
    // user: started, last heartbeat, progress
    //   p: 30, 10, -1    q: 10, 30, 7    r: 20, 20, 3600    s: 20, 40, 0
    QTest::addRow("started") << int(LiveStreamsModel::StartedColumn) << QStringList{"q", "r", "s", "p"};
    QTest::addRow("last heartbeat") << int(LiveStreamsModel::LastHeartbeatColumn) << QStringList{"p", "r", "q", "s"};
    QTest::addRow("progress") << int(LiveStreamsModel::ProgressColumn) << QStringList{"p", "s", "q", "r"};
    QTest::addRow("user (text)") << int(LiveStreamsModel::UserColumn) << QStringList{"p", "q", "r", "s"};
}

void TestLiveScreen::proxySortsLikeTheSortRole()
{
    QFETCH(int, column);
    QFETCH(QStringList, ascending);
    const auto make = [](const char *user, qint64 started, qint64 last, qint64 progress) {
        ActiveStream s = stream(QString::fromLatin1(user), QStringLiteral("movie"), QStringLiteral("tv"), last, progress);
        s.startedNs = started;
        return s;
    };
    LiveStreamsModel model;
    model.applySnapshot({make("r", 20, 20, 3600), make("p", 30, 10, -1), make("s", 20, 40, 0), make("q", 10, 30, 7)});
    StreamsFilterProxy proxy;
    proxy.setSourceModel(&model);
    const auto users = [&] {
        QStringList result;
        for (int row = 0; row < proxy.rowCount(); ++row)
            result.append(proxy.index(row, LiveStreamsModel::UserColumn).data().toString());
        return result;
    };
    proxy.sort(column, Qt::AscendingOrder);
    QCOMPARE(users(), ascending);
    proxy.sort(column, Qt::DescendingOrder);
    QStringList descending = ascending;
    std::reverse(descending.begin(), descending.end());
    if (column == LiveStreamsModel::StartedColumn)
        descending = QStringList{"p", "r", "s", "q"}; // r and s tie at 20 and keep their order
    QCOMPARE(users(), descending);
}

void TestLiveScreen::modelsUnderTester()
{
    LiveRig rig;
    QAbstractItemModelTester streamsTester(rig.screen.streamsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester assetsTester(rig.screen.assetsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester tenantsTester(rig.screen.tenantsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(rig.screen.streamsProxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy streamResets(rig.screen.streamsModel(), &QAbstractItemModel::modelReset);
    QSignalSpy assetResets(rig.screen.assetsModel(), &QAbstractItemModel::modelReset);
    QSignalSpy tenantResets(rig.screen.tenantsModel(), &QAbstractItemModel::modelReset);
    QSignalSpy assetChanges(rig.screen.assetsModel(), &QAbstractItemModel::dataChanged);

    QCOMPARE(rig.beat("acme", "alice", "movie", "tv", 10), 204);
    QCOMPARE(rig.beat("acme", "bob", "movie", "tv"), 204);
    QCOMPARE(rig.beat("globex", "carol", "show", "phone"), 204);
    rig.screen.refresh();
    QCOMPARE(rig.screen.streamsModel()->rowCount(), 3);
    QCOMPARE(rig.screen.assetsModel()->rowCount(), 2);
    QCOMPARE(rig.screen.tenantsModel()->rowCount(), 2);
    QCOMPARE(rig.screen.tenantsModel()->activeOf(QStringLiteral("acme")), 2);
    QCOMPARE(rig.screen.activeShown(), 3);
    const int movie = findRow(rig.screen.assetsModel(), AssetCountsModel::AssetColumn, QStringLiteral("movie"));
    QCOMPARE(rig.screen.assetsModel()->index(movie, AssetCountsModel::ActiveColumn).data().toInt(), 2);

    // bob stops: the asset's count changes in place, the tenant total drops, nothing resets.
    QCOMPARE(request(rig.fixture.port(), "PUT", "/oxm/v1/streams/movie/stopped?device=tv", rig.token("acme", "bob")).status, 204);
    rig.screen.refresh();
    QCOMPARE(rig.screen.streamsModel()->rowCount(), 2);
    QCOMPARE(rig.screen.assetsModel()->index(movie, AssetCountsModel::ActiveColumn).data().toInt(), 1);
    QVERIFY(assetChanges.count() >= 1);
    QCOMPARE(rig.screen.tenantsModel()->activeOf(QStringLiteral("acme")), 1);
    const int acme = findRow(rig.screen.tenantsModel(), TenantCountsModel::TenantColumn, QStringLiteral("acme"));
    QCOMPARE(rig.screen.tenantsModel()->index(acme, TenantCountsModel::PeakColumn).data().toInt(), 2);

    // Progress shows as h:mm:ss.
    const int alice = findRow(rig.screen.streamsModel(), LiveStreamsModel::UserColumn, QStringLiteral("alice"));
    QCOMPARE(rig.screen.streamsModel()->index(alice, LiveStreamsModel::ProgressColumn).data().toString(), QStringLiteral("0:00:10"));
    QCOMPARE(streamResets.count(), 0);
    QCOMPARE(assetResets.count(), 0);
    QCOMPARE(tenantResets.count(), 0);
}

void TestLiveScreen::selectionSurvives60Refreshes()
{
    LiveRig rig;
    for (const char *user : {"u1", "u2", "u3", "u4", "u5", "u6"})
        QCOMPARE(rig.beat("acme", QString::fromLatin1(user), "movie", "tv"), 204);
    rig.screen.refresh();
    rig.screen.streamsView()->sortByColumn(LiveStreamsModel::UserColumn, Qt::DescendingOrder);
    QVERIFY(rig.select(QStringLiteral("u3"), QStringLiteral("tv")));
    const StreamKey selected = rig.selectedKey();
    QCOMPARE(selected.userId, QStringLiteral("u3"));

    QSignalSpy resets(rig.screen.streamsModel(), &QAbstractItemModel::modelReset);
    QSignalSpy proxyResets(rig.screen.streamsProxy(), &QAbstractItemModel::modelReset);
    QSignalSpy layoutChanges(rig.screen.streamsProxy(), &QAbstractItemModel::layoutChanged);
    QSignalSpy selectionChanges(rig.screen.streamsView()->selectionModel(), &QItemSelectionModel::selectionChanged);
    for (int i = 0; i < 60; ++i) {
        rig.fixture.clock().advanceSeconds(1);
        // Traffic changes rows around the selection: heartbeats (dataChanged), new and stopped streams.
        QCOMPARE(rig.beat("acme", QStringLiteral("u%1").arg(1 + i % 6), "movie", "tv", i), 204);
        if (i % 10 == 0)
            QCOMPARE(rig.beat("acme", QStringLiteral("n%1").arg(i), "movie", "tv"), 204);
        if (i % 10 == 5)
            QCOMPARE(request(rig.fixture.port(), "PUT", "/oxm/v1/streams/movie/stopped?device=tv",
                             rig.token("acme", QStringLiteral("n%1").arg(i - 5))).status, 204);
        rig.screen.refresh();
        QCOMPARE(rig.selectedKey(), selected);
    }
    QCOMPARE(resets.count(), 0);
    QCOMPARE(proxyResets.count(), 0);
    QCOMPARE(selectionChanges.count(), 0);
    QCOMPARE(rig.screen.streamsView()->horizontalHeader()->sortIndicatorSection(), int(LiveStreamsModel::UserColumn));
    QCOMPARE(rig.screen.streamsView()->horizontalHeader()->sortIndicatorOrder(), Qt::DescendingOrder);
    // Still sorted by user, descending.
    const QAbstractItemModel *view = rig.screen.streamsView()->model();
    for (int row = 1; row < view->rowCount(); ++row)
        QVERIFY(view->index(row - 1, LiveStreamsModel::UserColumn).data().toString()
                >= view->index(row, LiveStreamsModel::UserColumn).data().toString());
    Q_UNUSED(layoutChanges);
}

void TestLiveScreen::tableFollowsHeartbeatsOverHttp()
{
    LiveRig rig;
    rig.screen.timer()->start(); // the real one-second refresh
    QCOMPARE(rig.screen.streamsModel()->rowCount(), 0);
    QCOMPARE(rig.beat("acme", "alice", "movie", "tv", 61), 204);
    QTRY_COMPARE_WITH_TIMEOUT(rig.screen.streamsModel()->rowCount(), 1, 2000);
    const int row = 0;
    QCOMPARE(rig.screen.streamsModel()->index(row, LiveStreamsModel::UserColumn).data().toString(), QStringLiteral("alice"));
    QCOMPARE(rig.screen.streamsModel()->index(row, LiveStreamsModel::ProgressColumn).data().toString(), QStringLiteral("0:01:01"));
    QCOMPARE(rig.beat("acme", "bob", "series", "phone"), 204);
    QTRY_COMPARE_WITH_TIMEOUT(rig.screen.streamsModel()->rowCount(), 2, 2000);
    QTRY_COMPARE_WITH_TIMEOUT(rig.screen.activeShown(), 2, 2000);
    QCOMPARE(rig.beat("acme", "alice", "movie", "tv", 125), 204);
    QTRY_COMPARE_WITH_TIMEOUT(rig.screen.streamsModel()->index(row, LiveStreamsModel::ProgressColumn).data().toString(),
                              QStringLiteral("0:02:05"), 2000);
}

void TestLiveScreen::endStreamRefusesNextHeartbeat()
{
    LiveRig rig;
    QCOMPARE(rig.beat("acme", "alice", "movie", "tv"), 204);
    QCOMPARE(rig.beat("acme", "alice", "series", "phone"), 204);
    rig.screen.refresh();
    QVERIFY(!rig.screen.endButton()->isEnabled());
    QVERIFY(rig.select(QStringLiteral("alice"), QStringLiteral("tv")));
    QVERIFY(rig.screen.endButton()->isEnabled());
    QSignalSpy status(&rig.screen, &Screen::statusMessage);
    rig.screen.endButton()->click();
    QCOMPARE(status.count(), 1);
    QCOMPARE(rig.screen.streamsModel()->rowCount(), 1);

    const Reply refused = heartbeat(rig.fixture.port(), rig.token("acme", "alice"), "movie", "tv");
    QCOMPARE(refused.status, 409);
    QCOMPARE(refused.errorCode(), 1053);
    // The other stream is untouched.
    QCOMPARE(rig.beat("acme", "alice", "series", "phone"), 204);
    rig.screen.refresh();
    QCOMPARE(rig.screen.refusedShown(1053), 1);

    // The Delete shortcut does the same on the selected stream.
    QVERIFY(rig.select(QStringLiteral("alice"), QStringLiteral("phone")));
    rig.screen.activateWindow();
    rig.screen.streamsView()->setFocus();
    QVERIFY(QTest::qWaitForWindowActive(&rig.screen));
    QTest::keyClick(rig.screen.streamsView(), Qt::Key_Delete);
    QCOMPARE(rig.screen.streamsModel()->rowCount(), 0);
    QCOMPARE(heartbeat(rig.fixture.port(), rig.token("acme", "alice"), "series", "phone").errorCode(), 1053);

    // After the stream timeout the stream may start again.
    rig.fixture.clock().advanceSeconds(181);
    QCOMPARE(rig.beat("acme", "alice", "movie", "tv"), 204);
}

void TestLiveScreen::drillDownAndFilter()
{
    LiveRig rig;
    QCOMPARE(rig.beat("acme", "alice", "movie", "tv"), 204);
    QCOMPARE(rig.beat("acme", "bob", "movie", "tv"), 204);
    QCOMPARE(rig.beat("acme", "carol", "series", "tv"), 204);
    QCOMPARE(rig.beat("globex", "dave", "movie", "tv"), 204);
    rig.screen.refresh();
    QCOMPARE(rig.screen.streamsView()->model()->rowCount(), 4);

    // Selecting acme/movie in the asset table shows its two streams.
    const QAbstractItemModel *assets = rig.screen.assetsView()->model();
    int acmeMovie = -1;
    for (int row = 0; row < assets->rowCount(); ++row)
        if (assets->index(row, AssetCountsModel::TenantColumn).data() == QStringLiteral("acme")
            && assets->index(row, AssetCountsModel::AssetColumn).data() == QStringLiteral("movie"))
            acmeMovie = row;
    QVERIFY(acmeMovie >= 0);
    rig.screen.assetsView()->selectRow(acmeMovie);
    QCOMPARE(rig.screen.streamsView()->model()->rowCount(), 2);
    rig.screen.refresh();
    QCOMPARE(rig.screen.streamsView()->model()->rowCount(), 2);
    rig.screen.streamsProxy()->setText(QStringLiteral("bob"));
    QCOMPARE(rig.screen.streamsView()->model()->rowCount(), 1);
    rig.screen.streamsProxy()->setText({});
    rig.screen.drillDown({}, {});
    QCOMPARE(rig.screen.streamsView()->model()->rowCount(), 4);
}

void TestLiveScreen::refusalCounters()
{
    LiveRig rig;
    QCOMPARE(putPolicy(rig.fixture, "acme", 2, 1, 2).status, 200);
    QCOMPARE(rig.beat("acme", "alice", "movie", "tv"), 204);
    QCOMPARE(rig.beat("acme", "alice", "movie", "phone"), 409);   // 1051
    QCOMPARE(rig.beat("acme", "alice", "series", "phone"), 204);
    QCOMPARE(rig.beat("acme", "alice", "news", "tablet"), 409);   // 1050
    QCOMPARE(putPolicy(rig.fixture, "acme", 3, 1, 2).status, 200);
    QCOMPARE(rig.beat("acme", "alice", "news", "tablet"), 409);   // 1052
    rig.screen.refresh();
    QCOMPARE(rig.screen.refusedShown(1050), 1);
    QCOMPARE(rig.screen.refusedShown(1051), 1);
    QCOMPARE(rig.screen.refusedShown(1052), 1);
    QCOMPARE(rig.screen.refusedShown(1053), 0);
}

void TestLiveScreen::chartKeepsAtMost900Points()
{
    ActivityChart chart;
    chart.resize(800, 300);
    chart.show();
    const qint64 start = 1700000000000LL;
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < 2000; ++i) {
        QHash<QString, int> active{{QStringLiteral("acme"), i % 7}};
        if (i >= 500)
            active.insert(QStringLiteral("globex"), 1); // a tenant that appears later
        chart.sample(start + qint64(i) * 1000, active);
        for (QLineSeries *series : chart.allSeries())
            QVERIFY2(series->count() <= ActivityChart::MaxPoints, qPrintable(QString::number(series->count())));
    }
    qInfo("2,000 samples of 2 series: %.2f ms per sample", double(timer.elapsed()) / 2000);
    QCOMPARE(chart.allSeries().size(), 2);
    QCOMPARE(chart.seriesFor(QStringLiteral("acme"))->count(), ActivityChart::MaxPoints);
    // Nothing older than 15 minutes stays.
    const qint64 last = start + 1999 * 1000;
    for (QLineSeries *series : chart.allSeries()) {
        QVERIFY(series->at(0).x() >= qreal(last - ActivityChart::HistoryMs));
        QCOMPARE(qint64(series->at(series->count() - 1).x()), last);
    }
    QVERIFY(chart.valueAxis()->max() >= 6);

    // Sampling less often than once a second keeps at most 15 minutes too. Hidden, the chart
    // only records; it draws what it recorded when shown.
    ActivityChart sparse;
    for (int i = 0; i < 100; ++i)
        sparse.sample(start + qint64(i) * 60000, {{QStringLiteral("acme"), 1}});
    QCOMPARE(sparse.seriesFor(QStringLiteral("acme"))->count(), 0);
    sparse.show();
    QCOMPARE(sparse.seriesFor(QStringLiteral("acme"))->count(), 16);
    QCOMPARE(sparse.timeAxis()->max().toMSecsSinceEpoch(), start + 99 * 60000);
}

void TestLiveScreen::chartAxisMovesWithTheClock()
{
    LiveRig rig;
    ActivityChart *chart = rig.screen.chart();
    rig.screen.refresh();
    const qint64 now = rig.fixture.clock().nowMs();
    QCOMPARE(chart->timeAxis()->max().toMSecsSinceEpoch(), now);
    QCOMPARE(chart->timeAxis()->min().toMSecsSinceEpoch(), now - 15 * 60000);

    // No traffic at all: the axis still moves with each sample.
    for (int i = 1; i <= 5; ++i) {
        rig.fixture.clock().advanceSeconds(1);
        rig.screen.refresh();
        QCOMPARE(chart->timeAxis()->max().toMSecsSinceEpoch(), now + i * 1000);
        QCOMPARE(chart->timeAxis()->min().toMSecsSinceEpoch(), now + i * 1000 - 15 * 60000);
    }
    // The window can be narrowed.
    chart->setWindowMinutes(1);
    QCOMPARE(chart->timeAxis()->min().toMSecsSinceEpoch(), now + 5000 - 60000);

    // A stream shows up in its tenant's series.
    QCOMPARE(rig.beat("acme", "alice", "movie", "tv"), 204);
    rig.fixture.clock().advanceSeconds(1);
    rig.screen.refresh();
    QLineSeries *acme = chart->seriesFor(QStringLiteral("acme"));
    QVERIFY(acme);
    QCOMPARE(acme->at(acme->count() - 1).y(), 1.0);
    QVERIFY(chart->valueAxis()->max() >= 1);

    // The real timer samples once a second against the service clock.
    const int before = int(acme->count());
    rig.screen.timer()->start();
    QTRY_VERIFY_WITH_TIMEOUT(acme->count() >= before + 2, 3500);
}

QTEST_MAIN(TestLiveScreen)
#include "tst_livescreen.moc"
