// The service's own threads give themselves the niceness set by setServiceThreadNice()
// (core/threadnice.h; the admin app sets 5 so that its GUI thread keeps the CPU under load,
// issue 6). Read back from /proc/self/task/<tid>/stat (field 19, proc(5)) of the threads the
// service names: its HTTP worker and its SQLite writer, after a heartbeat with progress.

#include "testsupport.h"

#include "core/threadnice.h"

#include <QDir>
#include <QFile>
#include <QTest>
#include <sys/resource.h>

using namespace oxm;
using namespace oxm::test;

namespace {

/// Niceness of every thread of this process whose name starts with `prefix`.
QList<int> niceOfThreads(const QByteArray &prefix)
{
    QList<int> values;
    const QStringList tids = QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &tid : tids) {
        QFile comm(QStringLiteral("/proc/self/task/%1/comm").arg(tid));
        QFile stat(QStringLiteral("/proc/self/task/%1/stat").arg(tid));
        if (!comm.open(QIODevice::ReadOnly) || !comm.readAll().startsWith(prefix) || !stat.open(QIODevice::ReadOnly))
            continue;
        // "tid (comm) state ppid …": after the last ')' field 3 is first; nice is field 19.
        const QByteArray line = stat.readAll();
        const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
        values.append(fields.value(19 - 3).toInt());
    }
    return values;
}

} // namespace

class ThreadNiceTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup() { setServiceThreadNice(0); }

    void clamps_data()
    {
        QTest::addColumn<int>("requested");
        QTest::addColumn<int>("stored");
        QTest::newRow("0") << 0 << 0;
        QTest::newRow("5") << 5 << 5;
        QTest::newRow("19") << 19 << 19;
        QTest::newRow("25 → 19") << 25 << 19;
        QTest::newRow("-3 → 0 (never raises priority)") << -3 << 0;
    }
    void clamps()
    {
        QFETCH(int, requested);
        QFETCH(int, stored);
        setServiceThreadNice(requested);
        QCOMPARE(serviceThreadNice(), stored);
    }

    void serviceThreadsTakeIt_data()
    {
        QTest::addColumn<int>("nice");
        QTest::newRow("default 0: threads keep the process's niceness") << 0;
        QTest::newRow("5 (the admin app's)") << 5;
        QTest::newRow("12") << 12;
    }
    void serviceThreadsTakeIt()
    {
        QFETCH(int, nice);
        errno = 0;
        const int base = ::getpriority(PRIO_PROCESS, 0); // this (main) thread's: the process's start value
        QVERIFY(errno == 0);
        if (nice != 0 && nice < base)
            QSKIP("the tests run at a niceness above the one asked for (lowering it needs privileges)");
        const int expected = nice == 0 ? base : nice;

        setServiceThreadNice(nice);
        ServiceFixture fixture;
        // A heartbeat with progress is written by the SQLite writer (the resume-point pool threads,
        // used by stores without an asynchronous write, nice themselves the same way).
        const QByteArray token = fixture.token(QStringLiteral("acme"), QStringLiteral("alice"));
        const Reply reply = fixture.send("PUT", "/oxm/v1/streams/a1/streaming?device=tv&progress=7", token);
        QCOMPARE(reply.status, 204);

        const QList<int> http = niceOfThreads("oxm-http-");
        QVERIFY(!http.isEmpty());
        for (int value : http)
            QCOMPARE(value, expected);
        const QList<int> writer = niceOfThreads("oxm-sqlite-writ"); // comm: 15 bytes at most
        if (fixture.databaseUrl().isEmpty()) {
            QCOMPARE(writer.size(), 1);
            QCOMPARE(writer.first(), expected);
        }
        // The test's own (main) thread is untouched.
        QCOMPARE(::getpriority(PRIO_PROCESS, 0), base);
    }
};

QTEST_GUILESS_MAIN(ThreadNiceTest)
#include "tst_threadnice.moc"
