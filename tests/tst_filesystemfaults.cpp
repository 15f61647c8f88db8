// Storage faults of issue 4 on a real file system: the database's directory is a small tmpfs
// in a private mount namespace of the real `oxm-server` (unshare -m), which the test then
// remounts read-only (EROFS) or fills up (ENOSPC). Every write request gets a JSON 503/1503,
// nothing half-written is kept, reads go on, and the service recovers by itself when the fault
// clears. Needs CAP_SYS_ADMIN for mount namespaces (root on the CI machine); the binary comes
// from OXM_SERVER_BINARY (set by CTest).
#include "testsupport.h"

#include "auth/tokenverifier.h"
#include "core/clock.h"

#include <QJsonArray>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace oxm;
using namespace oxm::test;

namespace {

quint16 freePort()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
}

/// Runs a command in the server's mount namespace; returns its exit code (-1: did not run).
int inServerNamespace(qint64 pid, const QStringList &command)
{
    QProcess p;
    p.start(QStringLiteral("nsenter"), QStringList{QStringLiteral("-t"), QString::number(pid), QStringLiteral("-m"), QStringLiteral("--")} + command);
    if (!p.waitForFinished(30000))
        return -1;
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

} // namespace

class FileSystemFaultsTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        const QString binary = qEnvironmentVariable("OXM_SERVER_BINARY");
        QVERIFY2(!binary.isEmpty(), "OXM_SERVER_BINARY is not set (run through ctest)");
        QVERIFY(m_dir.isValid());
        m_mount = m_dir.filePath(QStringLiteral("data"));
        QVERIFY(QDir().mkpath(m_mount));
        m_port = freePort();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("OXM_JWT_SECRET"), QString::fromLatin1(testSecret()));
        m_server.setProcessEnvironment(env);
        m_server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        // sh execs the server: its PID is the server's, inside the new mount namespace.
        m_server.start(QStringLiteral("unshare"),
                       {QStringLiteral("-m"), QStringLiteral("--propagation"), QStringLiteral("private"), QStringLiteral("sh"),
                        QStringLiteral("-c"),
                        QStringLiteral("mount -t tmpfs -o size=4m oxm-test \"$1\" && exec \"$2\" --listen 127.0.0.1:%1 "
                                       "--database \"sqlite:$1/oxm.sqlite\"").arg(m_port),
                        QStringLiteral("sh"), m_mount, binary});
        QVERIFY(m_server.waitForStarted(10000));
        int status = 0;
        for (int i = 0; i < 150 && status != 200 && m_server.state() == QProcess::Running; ++i) {
            QTest::qWait(100);
            status = request(m_port, "GET", "/healthz", {}, {}, {}, 1000).status;
        }
        if (m_server.state() != QProcess::Running && m_server.exitCode() != 0)
            QSKIP("cannot create a mount namespace here (unshare -m needs CAP_SYS_ADMIN)");
        QCOMPARE(status, 200);
        m_token = TokenIssuer(testSecret(), m_clock).issue(QStringLiteral("acme"), QStringLiteral("bob"),
                                                           Principal::Role::Subscriber, {}, 3600);
        m_admin = TokenIssuer(testSecret(), m_clock).issue(QStringLiteral("acme"), QStringLiteral("ops"),
                                                           Principal::Role::Admin, {}, 3600);
        QCOMPARE(send("PUT", "/oxm/v1/streams/movie-1/streaming?device=tv&progress=42").status, 204);
        QCOMPARE(send("PUT", "/oxm/v1/towatch/movie-2").status, 200);
    }
    void cleanup()
    {
        if (m_server.state() != QProcess::NotRunning) {
            m_server.terminate(); // SIGTERM to the server (exec'd by sh), which drains and exits
            if (!m_server.waitForFinished(10000)) {
                m_server.kill();
                m_server.waitForFinished(5000);
            }
        }
    }

    void readOnlyFileSystemAtStart()
    {
        // Linux refuses to remount a file system read-only while files on it are open for
        // writing (EBUSY; only the kernel's own errors=remount-ro does it), so a read-only
        // database is met at start: the server refuses to start, with a message naming the
        // database, instead of serving without storage. Here the running server's files are
        // closed by stopping it, the file system made read-only, and the server started on it.
        cleanup();
        QProcess again;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("OXM_JWT_SECRET"), QString::fromLatin1(testSecret()));
        again.setProcessEnvironment(env);
        const QString binary = qEnvironmentVariable("OXM_SERVER_BINARY");
        again.start(QStringLiteral("unshare"),
                    {QStringLiteral("-m"), QStringLiteral("--propagation"), QStringLiteral("private"), QStringLiteral("sh"),
                     QStringLiteral("-c"),
                     QStringLiteral("mount -t tmpfs -o size=4m oxm-test \"$1\" && \"$2\" tenant add acme --database \"sqlite:$1/oxm.sqlite\" "
                                    "&& mount -o remount,ro \"$1\" && exec \"$2\" --listen 127.0.0.1:%1 --database \"sqlite:$1/oxm.sqlite\"")
                         .arg(freePort()),
                     QStringLiteral("sh"), m_mount, binary});
        QVERIFY(again.waitForFinished(30000));
        const QByteArray err = again.readAllStandardError();
        QCOMPARE(again.exitStatus(), QProcess::NormalExit);
        QVERIFY2(again.exitCode() != 0, err.constData());
        QVERIFY2(err.contains(m_mount.toUtf8() + "/oxm.sqlite"), err.constData());
    }

    void diskFull()
    {
        // Fill the 4 MiB file system (dd stops with "No space left on device").
        inServerNamespace(m_server.processId(), {QStringLiteral("sh"), QStringLiteral("-c"),
                                                 QStringLiteral("dd if=/dev/zero of=\"$0/filler\" bs=64k 2>/dev/null; sync"), m_mount});
        checkWritesRefusedReadsServed();
        QCOMPARE(inServerNamespace(m_server.processId(), {QStringLiteral("rm"), m_mount + QStringLiteral("/filler")}), 0);
        checkRecovered();
    }

private:
    Reply send(const QByteArray &method, const QByteArray &target, const QByteArray &body = {}, bool admin = false)
    {
        return request(m_port, method, target, admin ? m_admin : m_token, body);
    }

    void checkWritesRefusedReadsServed()
    {
        // Several rounds, so a write that found room in a page already allocated still meets
        // the fault (a full disk refuses new pages; a read-only one refuses every write).
        for (int round = 0; round < 3; ++round) {
            const QByteArray progress = "/oxm/v1/streams/movie-1/streaming?device=tv&progress=" + QByteArray::number(77 + round);
            const Reply heartbeat = send("PUT", progress);
            const Reply add = send("PUT", "/oxm/v1/towatch/movie-" + QByteArray::number(3 + round));
            const Reply policy = send("PUT", "/oxm/v1/streampolicy/acme", R"({"maxPerUser":1,"maxPerAsset":1,"maxDevices":1})", true);
            for (const Reply *refused : {&heartbeat, &add, &policy}) {
                QCOMPARE(refused->status, 503);
                QCOMPARE(refused->errorCode(), 1503);
                QVERIFY2(!refused->body.contains("SQL") && !refused->body.contains("sqlite") && !refused->body.contains("disk"),
                         refused->body.constData());
            }
        }
        // Reads and admission go on.
        const Reply point = send("GET", "/oxm/v1/streams/movie-1");
        QCOMPARE(point.status, 200);
        QCOMPARE(point.object().value(QStringLiteral("progress")).toInteger(), 42);
        QCOMPARE(send("GET", "/oxm/v1/towatch").object().value(QStringLiteral("assetIDs")).toArray(), QJsonArray{QStringLiteral("movie-2")});
        QCOMPARE(send("PUT", "/oxm/v1/streams/movie-1/streaming?device=tv").status, 204);
        QCOMPARE(request(m_port, "GET", "/healthz").status, 200);
    }

    void checkRecovered()
    {
        // Nothing of the refused writes was kept; the same writes now succeed.
        QCOMPARE(send("GET", "/oxm/v1/streams/movie-1").object().value(QStringLiteral("progress")).toInteger(), 42);
        QCOMPARE(send("GET", "/oxm/v1/streampolicy/acme").status, 404);
        QCOMPARE(send("PUT", "/oxm/v1/streams/movie-1/streaming?device=tv&progress=99").status, 204);
        QCOMPARE(send("GET", "/oxm/v1/streams/movie-1").object().value(QStringLiteral("progress")).toInteger(), 99);
        QCOMPARE(send("PUT", "/oxm/v1/towatch/movie-3").status, 200);
        QCOMPARE(send("GET", "/oxm/v1/towatch").object().value(QStringLiteral("assetIDs")).toArray(),
                 (QJsonArray{QStringLiteral("movie-3"), QStringLiteral("movie-2")}));
        QCOMPARE(send("PUT", "/oxm/v1/streampolicy/acme", R"({"maxPerUser":1,"maxPerAsset":1,"maxDevices":1})", true).status, 200);
    }

    QTemporaryDir m_dir;
    QString m_mount;
    quint16 m_port = 0;
    QProcess m_server;
    SystemClock m_clock;
    QByteArray m_token;
    QByteArray m_admin;
};

QTEST_GUILESS_MAIN(FileSystemFaultsTest)
#include "tst_filesystemfaults.moc"
