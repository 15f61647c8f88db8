// ConnectionTable: the cap on open connections and which connection makes room at the cap
// (docs/api.md, "Front door limits"; issue 4, slowloris).
#include "http/connectiontable.h"

#include <QList>
#include <QTest>
#include <atomic>
#include <thread>
#include <vector>

using oxm::ConnectionTable;

class ConnectionTableTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void admitAtCap_data()
    {
        QTest::addColumn<int>("cap");
        QTest::addColumn<QList<qint64>>("idleSince"); // one per open connection; -1: busy
        QTest::addColumn<int>("victim");              // index of the evicted one; -1: none
        QTest::addColumn<bool>("admitted");

        QTest::newRow("below the cap: admitted, nobody evicted") << 3 << QList<qint64>{10, 20} << -1 << true;
        QTest::newRow("empty table, cap 1") << 1 << QList<qint64>{} << -1 << true;
        QTest::newRow("at the cap: the longest idle goes") << 3 << QList<qint64>{30, 10, 20} << 1 << true;
        QTest::newRow("at the cap: busy ones are never evicted") << 3 << QList<qint64>{-1, 50, -1} << 1 << true;
        QTest::newRow("at the cap, all busy: refused") << 2 << QList<qint64>{-1, -1} << -1 << false;
        QTest::newRow("cap 0: refused") << 0 << QList<qint64>{} << -1 << false;
        QTest::newRow("equal idle times: one of them goes") << 2 << QList<qint64>{5, 5} << 0 << true;
    }
    void admitAtCap()
    {
        QFETCH(int, cap);
        QFETCH(QList<qint64>, idleSince);
        QFETCH(int, victim);
        QFETCH(bool, admitted);

        ConnectionTable table(cap);
        QList<int> evicted;
        QList<quint64> ids;
        for (int i = 0; i < idleSince.size(); ++i) {
            const quint64 id = table.admit(idleSince.at(i) < 0 ? 0 : idleSince.at(i), [&evicted, i] { evicted.append(i); });
            QVERIFY(id != 0);
            if (idleSince.at(i) < 0)
                table.setIdle(id, false, 1000);
            ids.append(id);
        }
        QVERIFY(evicted.isEmpty());
        const quint64 id = table.admit(100, [] {});
        QCOMPARE(id != 0, admitted);
        if (victim < 0) {
            QVERIFY(evicted.isEmpty());
        } else {
            QCOMPARE(evicted.size(), 1);
            // The idle times in a row differ except in the tie row, where either may go.
            QCOMPARE(idleSince.at(evicted.constFirst()), idleSince.at(victim));
        }
        QCOMPARE(table.openConnections(), int(idleSince.size()) + (admitted ? 1 : 0));
        QCOMPARE(table.evictions(), victim < 0 ? 0 : 1);
    }

    void aConnectionIsEvictedOnce()
    {
        ConnectionTable table(2);
        int firstEvicted = 0;
        int secondEvicted = 0;
        table.admit(1, [&] { ++firstEvicted; });
        table.admit(2, [&] { ++secondEvicted; });
        QVERIFY(table.admit(3, [] {}) != 0); // evicts the first (idle since 1)
        QVERIFY(table.admit(4, [] {}) != 0); // the first is on its way out: the second goes
        QCOMPARE(firstEvicted, 1);
        QCOMPARE(secondEvicted, 1);
        QCOMPARE(table.openConnections(), 4); // until the evicted ones are removed
    }

    void answeringMakesAConnectionIdleAgain()
    {
        ConnectionTable table(2);
        QList<int> evicted;
        const quint64 a = table.admit(1, [&] { evicted.append(0); });
        const quint64 b = table.admit(2, [&] { evicted.append(1); });
        table.setIdle(a, false, 3); // a is being served ...
        table.setIdle(b, false, 4);
        QCOMPARE(table.admit(5, [] {}), quint64(0));
        table.setIdle(a, true, 6); // ... and answered at 6; b answered at 7
        table.setIdle(b, true, 7);
        QVERIFY(table.admit(8, [] {}) != 0);
        QCOMPARE(evicted, QList<int>{0});
    }

    void removeFreesTheSlot()
    {
        ConnectionTable table(1);
        const quint64 a = table.admit(1, [] {});
        table.setIdle(a, false, 2);
        QCOMPARE(table.admit(3, [] {}), quint64(0));
        table.remove(a);
        QCOMPARE(table.openConnections(), 0);
        QVERIFY(table.admit(4, [] {}) != 0);
        table.remove(a); // unknown by now: harmless
        QCOMPARE(table.openConnections(), 1);
    }

    void racingThreadsKeepTheCount()
    {
        // 8 threads admit, mark busy/idle and remove connections against a cap of 16, each
        // holding up to 5 at a time (40 > 16, so evictions happen when they overlap). Every eviction is reported
        // exactly once, and the count is back to 0 when all are removed.
        constexpr int kThreads = 8;
        constexpr int kRounds = 5000;
        ConnectionTable table(16);
        std::atomic<int> evictCalls{0};
        std::atomic<int> refused{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                QList<quint64> mine;
                for (int r = 0; r < kRounds; ++r) {
                    const quint64 id = table.admit(r, [&] { evictCalls.fetch_add(1); });
                    if (id == 0) {
                        refused.fetch_add(1);
                    } else {
                        table.setIdle(id, (r + t) % 3 != 0, r);
                        mine.append(id);
                    }
                    if (mine.size() > 4)
                        table.remove(mine.takeFirst());
                }
                for (quint64 id : mine)
                    table.remove(id);
            });
        }
        for (std::thread &thread : threads)
            thread.join();
        QCOMPARE(table.openConnections(), 0);
        QCOMPARE(qint64(evictCalls.load()), table.evictions());
    }
};

QTEST_GUILESS_MAIN(ConnectionTableTest)
#include "tst_connectiontable.moc"
