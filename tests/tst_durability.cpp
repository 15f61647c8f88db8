// Process-level tests of the real `oxm-server` binary (contract §8): every acknowledged write
// survives SIGKILL, SIGTERM is a clean exit, and the `tenant add` / `catalog import` / `token`
// commands. The binary comes from the environment variable OXM_SERVER_BINARY (set by CTest).

#include "testsupport.h"

#include "auth/tokenverifier.h"
#include "core/clock.h"
#include "oxmservice.h"
#include "storage/durablestore.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QHash>
#include <QFileInfo>
#include <QJsonArray>
#include <QMutex>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <atomic>
#include <memory>

using namespace oxm;
using namespace oxm::test;

namespace {

QString serverBinary()
{
    return qEnvironmentVariable("OXM_SERVER_BINARY");
}

QProcessEnvironment serverEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("OXM_JWT_SECRET"), QString::fromLatin1(testSecret()));
    return env;
}

quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

/// Result of one command-line invocation.
struct CliResult
{
    int exitCode = -1;
    QProcess::ExitStatus exitStatus = QProcess::CrashExit;
    QByteArray out;
    QByteArray err;
};

CliResult runCli(const QStringList &arguments)
{
    QProcess p;
    p.setProcessEnvironment(serverEnvironment());
    p.start(serverBinary(), arguments);
    CliResult r;
    if (!p.waitForStarted(10000))
        return r;
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished(5000);
        return r;
    }
    r.exitCode = p.exitCode();
    r.exitStatus = p.exitStatus();
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

/// One running `oxm-server` process.
class ServerProcess
{
public:
    explicit ServerProcess(QString databasePath)
        : m_databasePath(std::move(databasePath))
    {
    }
    ~ServerProcess()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    /// Starts on a free port and waits for GET /healthz → 200. Returns false (with a reason in
    /// lastError()) when it does not come up.
    bool start()
    {
        for (int attempt = 0; attempt < 5; ++attempt) {
            m_port = freePort();
            m_process.setProcessEnvironment(serverEnvironment());
            m_process.start(serverBinary(), {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(m_port),
                                             QStringLiteral("--database"), QStringLiteral("sqlite:") + m_databasePath});
            if (!m_process.waitForStarted(10000)) {
                m_error = m_process.errorString();
                return false;
            }
            QElapsedTimer timer;
            timer.start();
            while (timer.elapsed() < 15000 && m_process.state() == QProcess::Running) {
                if (request(m_port, "GET", "/healthz").status == 200)
                    return true;
                QThread::msleep(2);
            }
            m_process.waitForFinished(2000);
            m_error = QString::fromUtf8(m_process.readAllStandardError());
            if (m_process.state() != QProcess::NotRunning) {
                m_process.kill();
                m_process.waitForFinished(5000);
                return false;
            }
            // Exited (e.g. the port was taken meanwhile): try another port.
        }
        return false;
    }

    /// SIGKILL; returns once the process is gone.
    void kill()
    {
        m_process.kill();
        m_process.waitForFinished(10000);
    }

    QProcess &process() { return m_process; }
    quint16 port() const { return m_port; }
    QString lastError() const { return m_error; }

private:
    QString m_databasePath;
    QProcess m_process;
    quint16 m_port = 0;
    QString m_error;
};

/// Sends one request from the calling thread; status 0 on a network failure.
int sendOn(quint16 port, const QByteArray &method, const QByteArray &target, const QByteArray &token)
{
    return request(port, method, target, token, {}, {}, 10000).status;
}

/// Sends heartbeats with progress (a fresh asset each) for one user until told to stop or
/// until a request fails; records what was acknowledged and the request that failed.
class ConcurrentWriter
{
public:
    ConcurrentWriter(quint16 port, QByteArray token, QString prefix)
        : m_port(port), m_token(std::move(token)), m_prefix(std::move(prefix))
    {
    }

    void start()
    {
        m_thread.reset(QThread::create([this] {
            for (int seq = 0; !m_stop.load(); ++seq) {
                const QString asset = QStringLiteral("%1-%2").arg(m_prefix).arg(seq);
                const qint64 progress = 100000 + seq;
                const int status = sendOn(m_port, "PUT",
                                          "/oxm/v1/streams/" + asset.toUtf8() + "/streaming?device=writer&progress="
                                              + QByteArray::number(progress),
                                          m_token);
                QMutexLocker locker(&m_mutex);
                if (status == 204) {
                    m_acked.insert(asset, progress);
                } else {
                    m_failed = {asset, progress};
                    m_failedStatus = status;
                    return;
                }
            }
        }));
        m_thread->start();
    }

    /// Waits for the writer to stop at its first failed request (after a kill that comes
    /// at once); stops it by flag only if that does not happen within 20 s.
    void waitForFailure()
    {
        if (!m_thread)
            return;
        if (!m_thread->wait(20000)) {
            m_stop = true;
            m_thread->wait();
        }
    }
    ~ConcurrentWriter()
    {
        m_stop = true;
        if (m_thread)
            m_thread->wait();
    }

    int ackedCount() const
    {
        QMutexLocker locker(&m_mutex);
        return int(m_acked.size());
    }
    QHash<QString, qint64> acked() const
    {
        QMutexLocker locker(&m_mutex);
        return m_acked;
    }
    QPair<QString, qint64> failed() const
    {
        QMutexLocker locker(&m_mutex);
        return m_failed;
    }
    int failedStatus() const
    {
        QMutexLocker locker(&m_mutex);
        return m_failedStatus;
    }

private:
    quint16 m_port;
    QByteArray m_token;
    QString m_prefix;
    std::unique_ptr<QThread> m_thread;
    std::atomic<bool> m_stop{false};
    mutable QMutex m_mutex;
    QHash<QString, qint64> m_acked;
    QPair<QString, qint64> m_failed;
    int m_failedStatus = -1;
};

QHash<QString, qint64> progressMap(const QJsonArray &history)
{
    QHash<QString, qint64> map;
    for (const QJsonValue &v : history)
        map.insert(v.toObject().value(QStringLiteral("assetId")).toString(),
                   v.toObject().value(QStringLiteral("progress")).toInteger());
    return map;
}

const QByteArray CatalogFile = R"([
  {"id": "cat-1", "name": "Barrio Chino II", "releaseYear": 1990, "genres": ["Mystery"],
   "pictures": {"16x9": "3a81d257ce1768dd7f4cc3c0a10c82f1"}, "description": "cómplice"},
  {"id": "cat-2", "name": "Second", "resourceType": "movie"},
  {"id": "cat/3", "name": "Slash", "language": "es"}
])";

} // namespace

class DurabilityTest : public QObject
{
    Q_OBJECT

private:
    SystemClock m_clock;
    QByteArray token(const QString &tenant, const QString &user, Principal::Role role = Principal::Role::Subscriber) const
    {
        return TokenIssuer(testSecret(), m_clock).issue(tenant, user, role, {}, 3600);
    }

private Q_SLOTS:
    void initTestCase();
    void acknowledgedWritesSurviveSigkill();
    void sigtermExitsCleanly_data();
    void sigtermExitsCleanly();
    void tenantAddRegistersWithZeroPolicy();
    void catalogImport();
    void badCatalogImportsNothing_data();
    void badCatalogImportsNothing();
    void tokenCommandMintsAcceptedToken();
    void badCommandLinesAreRefused_data();
    void badCommandLinesAreRefused();
};

void DurabilityTest::initTestCase()
{
    const QString binary = serverBinary();
    if (binary.isEmpty())
        QFAIL("OXM_SERVER_BINARY is not set (run through ctest, or export it to the built oxm-server)");
    QVERIFY2(QFile::exists(binary), qPrintable(binary));
}

void DurabilityTest::acknowledgedWritesSurviveSigkill()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString db = dir.filePath(QStringLiteral("db.sqlite"));
    const QByteArray adminToken = token(QStringLiteral("dur"), QStringLiteral("boss"), Principal::Role::Admin);
    const QByteArray user = token(QStringLiteral("dur"), QStringLiteral("viewer"));
    const QByteArray writerUser = token(QStringLiteral("dur"), QStringLiteral("writer"));

    // What the server acknowledged, cumulated over the rounds.
    QJsonObject policy;                     // last acknowledged policy
    QHash<QString, qint64> progress;        // viewer's resume points
    QStringList watchlist;                  // viewer's watchlist, newest first
    QHash<QString, qint64> writerAcked;     // the concurrent writer's resume points
    QList<QPair<QString, qint64>> inFlight; // writer requests cut off by a kill: may or may not exist
    QJsonArray historyBeforeKill;

    constexpr int KillRounds = 3;
    for (int round = 0; round <= KillRounds; ++round) {
        ServerProcess server(db);
        QVERIFY2(server.start(), qPrintable(server.lastError()));
        const quint16 port = server.port();

        if (round > 0) {
            // --- verify everything acknowledged before the previous SIGKILL -------------------
            const Reply p = request(port, "GET", "/oxm/v1/streampolicy/dur", user);
            QCOMPARE(p.status, 200);
            QCOMPARE(p.object(), policy);

            const Reply h = request(port, "GET", "/oxm/v1/streams/history", user);
            QCOMPARE(h.status, 200);
            QCOMPARE(progressMap(h.json().array()), progress);
            // Same entries, same order, same timestamps as read just before the kill.
            QCOMPARE(h.json().array(), historyBeforeKill);

            const Reply w = request(port, "GET", "/oxm/v1/towatch", user);
            QCOMPARE(w.status, 200);
            QStringList ids;
            for (const QJsonValue &v : w.object().value(QStringLiteral("assetIDs")).toArray())
                ids.append(v.toString());
            QCOMPARE(ids, watchlist);

            const Reply wh = request(port, "GET", "/oxm/v1/streams/history", writerUser);
            QCOMPARE(wh.status, 200);
            const QHash<QString, qint64> writerStored = progressMap(wh.json().array());
            for (auto it = writerAcked.cbegin(); it != writerAcked.cend(); ++it) {
                QVERIFY2(writerStored.contains(it.key()), qPrintable(QStringLiteral("acknowledged %1 lost").arg(it.key())));
                QCOMPARE(writerStored.value(it.key()), it.value());
            }
            // Anything else stored must be a request that was in flight at a kill, with its value.
            for (auto it = writerStored.cbegin(); it != writerStored.cend(); ++it) {
                if (writerAcked.contains(it.key()))
                    continue;
                bool known = false;
                for (const auto &[asset, value] : std::as_const(inFlight))
                    known = known || (asset == it.key() && value == it.value());
                QVERIFY2(known, qPrintable(QStringLiteral("unexpected resume point %1=%2").arg(it.key()).arg(it.value())));
                writerAcked.insert(it.key(), it.value()); // now durable: must stay
            }
        }
        if (round == KillRounds)
            break;

        // --- acknowledged writes --------------------------------------------------------------
        ConcurrentWriter writer(port, writerUser, QStringLiteral("w%1").arg(round));
        writer.start();

        const QJsonObject newPolicy{{QStringLiteral("maxPerUser"), 0},
                                    {QStringLiteral("maxPerAsset"), 3 + round},
                                    {QStringLiteral("maxDevices"), 2 + round}};
        const Reply put = request(port, "PUT", "/oxm/v1/streampolicy/dur", adminToken,
                                  QJsonDocument(newPolicy).toJson(QJsonDocument::Compact));
        QCOMPARE(put.status, 200);
        policy = newPolicy;

        for (int i = 0; i < 200; ++i) {
            const QString asset = QStringLiteral("r%1-a%2").arg(round).arg(i);
            const qint64 value = round * 1000000 + i * 7 + 1;
            // Alternate heartbeats and stops: both record progress.
            const QByteArray action = i % 4 == 3 ? "stopped" : "streaming";
            const Reply r = request(port, "PUT", "/oxm/v1/streams/" + asset.toUtf8() + "/" + action + "?progress="
                                                     + QByteArray::number(value), user);
            QVERIFY2(r.status == 204, qPrintable(QStringLiteral("%1: %2 %3").arg(asset).arg(r.status).arg(QString::fromUtf8(r.body))));
            progress.insert(asset, value);
        }
        if (round > 0) {
            // Update some earlier resume points: the newest value must win after the kill.
            for (int i = 0; i < 20; ++i) {
                const QString asset = QStringLiteral("r%1-a%2").arg(round - 1).arg(i * 3 + 1);
                const qint64 value = 7000000 + round * 1000 + i;
                QCOMPARE(request(port, "PUT", "/oxm/v1/streams/" + asset.toUtf8() + "/streaming?progress="
                                                  + QByteArray::number(value), user).status, 204);
                progress.insert(asset, value);
            }
        }
        for (int i = 0; i < 15; ++i) {
            const QString id = QStringLiteral("r%1-watch%2").arg(round).arg(i);
            QCOMPARE(request(port, "PUT", "/oxm/v1/towatch/" + id.toUtf8(), user).status, 200);
            watchlist.prepend(id);
        }
        // Re-add an old one (keeps its place) and remove one.
        QCOMPARE(request(port, "PUT", "/oxm/v1/towatch/" + watchlist.last().toUtf8(), user).status, 200);
        const QString removed = watchlist.at(3);
        QCOMPARE(request(port, "DELETE", "/oxm/v1/towatch/" + removed.toUtf8(), user).status, 200);
        watchlist.removeAll(removed);
        // Delete a resume point.
        const QString deleted = QStringLiteral("r%1-a0").arg(round);
        QCOMPARE(request(port, "DELETE", "/oxm/v1/streams/" + deleted.toUtf8(), user).status, 204);
        progress.remove(deleted);

        const Reply h = request(port, "GET", "/oxm/v1/streams/history", user);
        QCOMPARE(h.status, 200);
        historyBeforeKill = h.json().array();
        QCOMPARE(progressMap(historyBeforeKill), progress);

        // --- SIGKILL while the concurrent writer is still sending -----------------------------
        QElapsedTimer timer;
        timer.start();
        while (writer.ackedCount() < 5 && timer.elapsed() < 10000)
            QThread::msleep(5);
        QVERIFY2(writer.ackedCount() >= 5, "the concurrent writer made no progress");
        server.kill();
        QCOMPARE(server.process().exitStatus(), QProcess::CrashExit);
        writer.waitForFailure();
        // The writer was cut off by the kill: its last request failed at the network level.
        QCOMPARE(writer.failedStatus(), 0);
        inFlight.append(writer.failed());
        const QHash<QString, qint64> acked = writer.acked();
        for (auto it = acked.cbegin(); it != acked.cend(); ++it)
            writerAcked.insert(it.key(), it.value());
        qInfo("round %d: killed with %d concurrent writes acknowledged", round, int(acked.size()));
    }
}

void DurabilityTest::sigtermExitsCleanly_data()
{
    QTest::addColumn<int>("repetitions");
    QTest::addColumn<bool>("traffic");
    QTest::addRow("after traffic") << 1 << true;
    // A server that answers /healthz is up; SIGTERM from then on must be a clean shutdown.
    QTest::addRow("as soon as /healthz answers, x10") << 10 << false;
}

void DurabilityTest::sigtermExitsCleanly()
{
    QFETCH(int, repetitions);
    QFETCH(bool, traffic);
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("db.sqlite"));
    const QByteArray user = token(QStringLiteral("term"), QStringLiteral("u"));
    for (int i = 0; i < repetitions; ++i) {
        ServerProcess server(db);
        QVERIFY2(server.start(), qPrintable(server.lastError()));
        if (traffic) {
            QCOMPARE(request(server.port(), "PUT", "/oxm/v1/streams/a/streaming?progress=42", user).status, 204);
            // Well past start-up, so that this row checks the shutdown itself; the row below
            // checks the moment the server becomes ready.
            QThread::msleep(300);
        }
        server.process().terminate(); // SIGTERM
        QVERIFY(server.process().waitForFinished(15000));
        QVERIFY2(server.process().exitStatus() == QProcess::NormalExit,
                 qPrintable(QStringLiteral("start %1: died of signal %2 instead of exiting; stderr: %3")
                                .arg(i).arg(server.process().exitCode())
                                .arg(QString::fromUtf8(server.process().readAllStandardError()))));
        QCOMPARE(server.process().exitCode(), 0);
    }
    if (traffic) {
        ServerProcess again(db);
        QVERIFY2(again.start(), qPrintable(again.lastError()));
        const Reply r = request(again.port(), "GET", "/oxm/v1/streams/a", user);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.object().value(QStringLiteral("progress")).toInteger(), 42);
    }
}

void DurabilityTest::tenantAddRegistersWithZeroPolicy()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("db.sqlite"));
    const QString database = QStringLiteral("sqlite:") + db;
    const QByteArray reader = token(QStringLiteral("acme"), QStringLiteral("u"));
    {
        ServerProcess server(db);
        QVERIFY2(server.start(), qPrintable(server.lastError()));
        const Reply r = request(server.port(), "GET", "/oxm/v1/streampolicy/acme", reader);
        QCOMPARE(r.status, 404);
        QCOMPARE(r.errorCode(), 1040);
    }
    const CliResult cli = runCli({QStringLiteral("tenant"), QStringLiteral("add"), QStringLiteral("acme"),
                                  QStringLiteral("--database"), database});
    QVERIFY2(cli.exitStatus == QProcess::NormalExit && cli.exitCode == 0, cli.err.constData());

    ServerProcess server(db);
    QVERIFY2(server.start(), qPrintable(server.lastError()));
    const Reply r = request(server.port(), "GET", "/oxm/v1/streampolicy/acme", reader);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.object(), (QJsonObject{{QStringLiteral("maxPerUser"), 0}, {QStringLiteral("maxPerAsset"), 0}, {QStringLiteral("maxDevices"), 0}}));
    // Another tenant stays unregistered.
    QCOMPARE(request(server.port(), "GET", "/oxm/v1/streampolicy/other", token(QStringLiteral("other"), QStringLiteral("u"))).status, 404);
}

void DurabilityTest::catalogImport()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("db.sqlite"));
    const QString file = dir.filePath(QStringLiteral("catalog.json"));
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(CatalogFile);
    }
    const CliResult cli = runCli({QStringLiteral("catalog"), QStringLiteral("import"), file,
                                  QStringLiteral("--database"), QStringLiteral("sqlite:") + db});
    QVERIFY2(cli.exitStatus == QProcess::NormalExit && cli.exitCode == 0, cli.err.constData());

    ServerProcess server(db);
    QVERIFY2(server.start(), qPrintable(server.lastError()));
    const QByteArray user = token(QStringLiteral("cat"), QStringLiteral("u"));
    for (const char *id : {"cat-1", "missing", "cat%2F3", "cat-2"})
        QCOMPARE(request(server.port(), "PUT", "/oxm/v1/towatch/" + QByteArray(id), user).status, 200);
    const Reply r = request(server.port(), "GET", "/oxm/v1/towatch?full=true", user);
    QCOMPARE(r.status, 200);
    const QJsonObject o = r.object();
    QCOMPARE(o.value(QStringLiteral("assetIDs")).toArray(), (QJsonArray{QStringLiteral("cat-2"), QStringLiteral("cat/3"), QStringLiteral("cat-1")}));
    QCOMPARE(o.value(QStringLiteral("assetIDsNotFound")).toArray(), QJsonArray{QStringLiteral("missing")});
    const QJsonArray file3 = QJsonDocument::fromJson(CatalogFile).array();
    QCOMPARE(o.value(QStringLiteral("assets")).toArray(), (QJsonArray{file3.at(1), file3.at(2), file3.at(0)}));
    QCOMPARE(o.value(QStringLiteral("count")).toObject(),
             (QJsonObject{{QStringLiteral("acquired"), 3}, {QStringLiteral("notFound"), 1},
                          {QStringLiteral("returned"), 3}, {QStringLiteral("unwanted"), 0}}));
}

void DurabilityTest::badCatalogImportsNothing_data()
{
    QTest::addColumn<QByteArray>("content"); // null: the file does not exist
    QTest::addRow("not JSON") << QByteArrayLiteral("[{\"id\": \"bad-1\",");
    QTest::addRow("object, not array") << QByteArrayLiteral(R"({"id": "bad-1", "name": "x"})");
    QTest::addRow("element not an object") << QByteArrayLiteral(R"([{"id": "bad-1"}, "bad-2"])");
    QTest::addRow("id missing in second") << QByteArrayLiteral(R"([{"id": "bad-1"}, {"name": "no id"}])");
    QTest::addRow("id not a string") << QByteArrayLiteral(R"([{"id": "bad-1"}, {"id": 2}])");
    QTest::addRow("id empty") << QByteArrayLiteral(R"([{"id": "bad-1"}, {"id": ""}])");
    QTest::addRow("id with control character") << QByteArrayLiteral(R"([{"id": "bad-1"}, {"id": "a\u0001b"}])");
    QTest::addRow("id of 257 bytes") << "[{\"id\": \"bad-1\"}, {\"id\": \"" + QByteArray(257, 'x') + "\"}]";
    QTest::addRow("missing file") << QByteArray();
}

void DurabilityTest::badCatalogImportsNothing()
{
    QFETCH(QByteArray, content);
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("db.sqlite"));
    const QString file = dir.filePath(QStringLiteral("catalog.json"));
    if (!content.isNull()) {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(content);
    }
    const CliResult cli = runCli({QStringLiteral("catalog"), QStringLiteral("import"), file,
                                  QStringLiteral("--database"), QStringLiteral("sqlite:") + db});
    QCOMPARE(cli.exitStatus, QProcess::NormalExit);
    QVERIFY2(cli.exitCode != 0, cli.out.constData());
    QVERIFY2(!cli.err.trimmed().isEmpty(), "no error message on stderr");

    // Nothing imported (read in-process from the same database).
    ServiceConfig config;
    config.databasePath = db;
    config.jwtSecret = testSecret();
    OxmService service(config);
    service.open();
    QCOMPARE(service.store().catalogSize(), 0);
    QVERIFY(service.store().catalogAssets({QStringLiteral("bad-1"), QStringLiteral("bad-2")}).isEmpty());
}

void DurabilityTest::tokenCommandMintsAcceptedToken()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("db.sqlite"));
    const CliResult cli = runCli({QStringLiteral("token"), QStringLiteral("--tenant"), QStringLiteral("tok"),
                                  QStringLiteral("--user"), QStringLiteral("chief"), QStringLiteral("--role"), QStringLiteral("admin"),
                                  QStringLiteral("--database"), QStringLiteral("sqlite:") + db});
    QVERIFY2(cli.exitCode == 0, cli.err.constData());
    const QByteArray minted = cli.out.trimmed();
    QCOMPARE(minted.count('.'), 2);
    ServerProcess server(db);
    QVERIFY2(server.start(), qPrintable(server.lastError()));
    const Reply r = request(server.port(), "PUT", "/oxm/v1/streampolicy/tok", minted, R"({"maxPerUser":2,"maxPerAsset":1,"maxDevices":1})");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.object(), (QJsonObject{{QStringLiteral("maxPerUser"), 2}, {QStringLiteral("maxPerAsset"), 1}, {QStringLiteral("maxDevices"), 1}}));
}

void DurabilityTest::badCommandLinesAreRefused_data()
{
    // Each exits 2 with its message on stderr and without touching the database: an option or
    // argument that would otherwise be ignored (or, with no command, start a server) is refused.
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    const auto args = [](const char *line) { return QString::fromUtf8(line).split(QLatin1Char(' ')); };
    QTest::newRow("token with an extra argument")
        << args("token --tenant t --user u extra") << QStringLiteral("token takes no arguments besides its options (not: extra)");
    QTest::newRow("token with an empty --device")
        << (args("token --tenant t --user u --device") << QString()) << QStringLiteral("--device is 1 to 256 bytes");
    QTest::newRow("token with --tenant twice")
        << args("token --tenant t --tenant t2 --user u") << QStringLiteral("--tenant is given more than once");
    QTest::newRow("token with --role twice")
        << args("token --tenant t --user u --role admin --role subscriber") << QStringLiteral("--role is given more than once");
    QTest::newRow("a token option without a command (would serve)")
        << args("--role admin") << QStringLiteral("--role belongs to the token command");
    QTest::newRow("a token option on tenant add")
        << args("--tenant t tenant add x") << QStringLiteral("--tenant belongs to the token command");
    QTest::newRow("tenant add without a tenant") << args("tenant add") << QStringLiteral("usage: oxm-server tenant add T");
    QTest::newRow("tenant alone") << args("tenant") << QStringLiteral("usage: oxm-server tenant add T");
    QTest::newRow("tenant add with two tenants") << args("tenant add x y") << QStringLiteral("usage: oxm-server tenant add T");
    QTest::newRow("catalog import without a file")
        << args("catalog import") << QStringLiteral("usage: oxm-server catalog import FILE.json");
    QTest::newRow("an unknown command") << args("tenants add x") << QStringLiteral("unknown command tenants");
}

void DurabilityTest::badCommandLinesAreRefused()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("db.sqlite"));
    const CliResult cli = runCli(arguments << QStringLiteral("--database") << QStringLiteral("sqlite:") + db);
    QCOMPARE(cli.exitStatus, QProcess::NormalExit);
    QCOMPARE(cli.exitCode, 2);
    QVERIFY2(cli.err.contains(message.toUtf8()), cli.err.constData());
    QVERIFY(cli.out.isEmpty());
    QVERIFY(!QFileInfo::exists(db)); // refused before any database is opened
}

QTEST_GUILESS_MAIN(DurabilityTest)
#include "tst_durability.moc"
